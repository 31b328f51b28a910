import { describe, expect, it } from 'vitest'
import { settingsKey } from '@shared/runs'

describe('settingsKey', () => {
  const snap = { kind: 'cnn-studio/train', seed: 1, appVersion: '1.0', training: { seed: 1, learningRate: 0.01, optimizer: { type: 'adam', beta1: 0.9 } }, trial: { id: 3, round: 1, search: 's', params: { lr: 0.01 } } }

  it('ignores the seed, the app version and the trial number, and the order of keys', () => {
    const k = settingsKey(snap)
    expect(k).toMatch(/^[0-9a-f]{16}$/)
    expect(settingsKey({ ...snap, seed: 7, appVersion: '2.0', training: { ...snap.training, seed: 7 }, trial: { ...snap.trial, id: 9, round: 4 } })).toBe(k)
    expect(settingsKey({ training: { optimizer: { beta1: 0.9, type: 'adam' }, learningRate: 0.01, seed: 1 }, trial: snap.trial, kind: 'cnn-studio/train', seed: 1 })).toBe(k)
  })

  it('changes with any other setting, however deep', () => {
    const k = settingsKey(snap)
    expect(settingsKey({ ...snap, training: { ...snap.training, learningRate: 0.1 } })).not.toBe(k)
    expect(settingsKey({ ...snap, training: { ...snap.training, optimizer: { type: 'adam', beta1: 0.95 } } })).not.toBe(k)
    expect(settingsKey({ ...snap, dataset: { split: { seed: 1 } } })).not.toBe(settingsKey({ ...snap, dataset: { split: { seed: 2 } } })) // the split's seed is a setting
    expect(settingsKey(null)).toBeNull()
    expect(settingsKey([1])).toBeNull()
  })
})
