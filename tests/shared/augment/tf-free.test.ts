/**
 * The TF.js-free entry points of the augmentation pipeline (validation, schemas, UI metadata, sampling, TTA spec)
 * must not load TF.js: the UI thread bundles them and the main process validates documents with them. Each case
 * imports the entry in a fresh module graph with every @tensorflow/* package replaced by a recorder; a control
 * case checks that the recorder does see TF.js when the full entry (index.ts) is imported.
 */
import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const tfPackages = readdirSync(resolve(import.meta.dirname, '../../../node_modules/@tensorflow')).map((name) => `@tensorflow/${name}`)
let loaded: string[] = []

beforeEach(() => {
  loaded = []
  vi.resetModules()
  for (const name of tfPackages) {
    vi.doMock(name, () => {
      loaded.push(name)
      return {}
    })
  }
})

afterEach(() => {
  for (const name of tfPackages) vi.doUnmock(name)
  vi.resetModules()
})

describe('TF.js-free augmentation entries', () => {
  const entries = {
    'shared/augment/spec-only': () => import('../../../shared/augment/spec-only'),
    'shared/augment/spec': () => import('../../../shared/augment/spec'),
    'shared/augment/spec-registry': () => import('../../../shared/augment/spec-registry'),
    'shared/augment/sample': () => import('../../../shared/augment/sample'),
    'shared/augment/tta-spec': () => import('../../../shared/augment/tta-spec'),
    'shared/augment/stats': () => import('../../../shared/augment/stats'),
    '@shared/augment/spec (as main/services/pipelines.ts imports it)': () => import('@shared/augment/spec'),
    '@shared/augment/spec-only (as the UI thread imports it)': () => import('@shared/augment/spec-only'),
  }

  for (const [name, load] of Object.entries(entries)) {
    it(`${name} loads no @tensorflow/* package`, async () => {
      await load()
      expect(loaded).toEqual([])
    })
  }

  it('the TF-free entry validates, lists kinds, creates steps and samples', async () => {
    const augment = await import('../../../shared/augment/spec-only')
    const step = augment.createStep('rotation', 'r', { p: 1 })
    const result = augment.validatePipeline({ format: 1, steps: [step] })
    expect(result.ok).toBe(true)
    expect(augment.listAugmentKinds().map((k) => k.kind)).toEqual([...augment.AUGMENT_KINDS])
    const record = augment.samplePipeline(1, { format: 1, steps: [step] }, { batchSize: 2, height: 8, width: 8, channels: 1 })
    expect(record.steps[0]?.samples).toHaveLength(2)
    expect(augment.ttaViewList(augment.TEN_CROP)).toHaveLength(10)
    expect(loaded).toEqual([])
  })

  it('control: the full entry (index.ts) does load @tensorflow/tfjs, so the recorder works', async () => {
    await import('../../../shared/augment/index')
    expect(loaded).toContain('@tensorflow/tfjs')
  })
})
