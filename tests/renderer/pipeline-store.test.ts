/**
 * The pipeline editor's store, driven headless (no React): add, remove, reorder, edit params, undo and redo, and
 * the validation messages the editor shows under the fields.
 */
import { describe, expect, it } from 'vitest'
import { createStep, listAugmentKinds } from '@shared/augment/spec-only'
import { createPipelineStore, draftOf } from '../../renderer/src/data/pipelineStore'

const SHAPE = { height: 16, width: 16, channels: 3 }

function editor() {
  const store = createPipelineStore()
  store.setShape(SHAPE)
  store.load({ steps: [], tta: null })
  return store
}
const kinds = (store: ReturnType<typeof editor>) => store.getState().steps!.map((s) => s.kind)
const messages = (store: ReturnType<typeof editor>) => {
  const v = store.getState().validation!
  return v.ok ? [] : v.errors.map((e) => e.message)
}

describe('pipeline editor store', () => {
  it('adds steps with their defaults, new ones before a trailing Normalize, and every command undoes and redoes', () => {
    const store = editor()
    expect(store.canUndo()).toBe(false)
    const norm = store.addStep('normalize', { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0] })
    expect(store.getState().steps![0]!.params).toEqual({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 1] })
    store.addStep('horizontalFlip')
    store.addStep('rotation')
    expect(kinds(store)).toEqual(['horizontalFlip', 'rotation', 'normalize'])
    expect(norm).toBe('normalize-1')
    store.moveStep(1, 0)
    expect(kinds(store)).toEqual(['rotation', 'horizontalFlip', 'normalize'])
    store.removeStep(1)
    expect(kinds(store)).toEqual(['rotation', 'normalize'])
    expect(store.getState().valid?.steps.map((s) => s.kind)).toEqual(['rotation', 'normalize'])

    store.undo() // remove
    expect(kinds(store)).toEqual(['rotation', 'horizontalFlip', 'normalize'])
    store.undo() // move
    expect(kinds(store)).toEqual(['horizontalFlip', 'rotation', 'normalize'])
    store.undo()
    store.undo()
    store.undo()
    expect(kinds(store)).toEqual([])
    expect(store.canUndo()).toBe(false)
    store.redo()
    store.redo()
    expect(kinds(store)).toEqual(['horizontalFlip', 'normalize'])
    expect(store.canRedo()).toBe(true)
    store.addStep('cutout') // a new edit drops the redo stack
    expect(store.canRedo()).toBe(false)
    expect(kinds(store)).toEqual(['horizontalFlip', 'cutout', 'normalize'])
  })

  it('typing into one field is one undo step; another field or a blur starts a new one', () => {
    const store = editor()
    store.addStep('rotation')
    for (const v of [[-1, 15], [-10, 15], [-12, 15]]) store.setParam(0, 'degrees', v)
    store.setP(0, 0.7)
    store.setP(0, 0.75)
    store.endCoalesce()
    store.setP(0, 0.8)
    expect(store.getState().steps![0]).toMatchObject({ p: 0.8, params: { degrees: [-12, 15] } })
    store.undo()
    expect(store.getState().steps![0]!.p).toBe(0.75)
    store.undo()
    expect(store.getState().steps![0]).toMatchObject({ p: 0.5, params: { degrees: [-12, 15] } })
    store.undo()
    expect(store.getState().steps![0]!.params.degrees).toEqual([-15, 15])
    // Setting a field to the value it has records nothing.
    store.setEnabled(0, true)
    store.undo()
    expect(kinds(store)).toEqual([])
  })

  it('validation follows every edit, with the kind-named messages the fields show, and undo clears them', () => {
    const store = editor()
    store.addStep('randomResizedCrop')
    store.setParam(0, 'scale', [0.5, 1.5])
    expect(messages(store)).toEqual(['Random resized crop: scale max must be in (0, 1], received 1.5'])
    const v = store.getState().validation!
    expect(v.ok ? null : v.errors[0]!.path).toEqual(['params', 'scale', 1])
    expect(store.getState().valid).toBeNull()
    store.setP(0, 'abc')
    expect(messages(store)).toContain('Random resized crop: probability must be in [0, 1], received "abc"')
    store.undo()
    store.undo()
    expect(messages(store)).toEqual([])
    expect(store.getState().valid).not.toBeNull()
    // Shape-dependent checks use the dataset's image shape.
    store.addStep('normalize')
    store.setParam(1, 'mean', [0.1, 0.2])
    expect(messages(store)).toEqual(['Normalize: mean must have 1 or 3 values (one per channel), received [0.1, 0.2]'])
    store.setShape({ height: 16, width: 16, channels: 2 })
    expect(messages(store)).toEqual([])
  })

  it('fills a kind from the dataset statistics, keeps the TTA choice in the history, and loads saved documents', () => {
    const store = editor()
    store.addStep('normalize')
    store.fillFromStats(0, { mean: [0.4, 0.4, 0.4], std: [0.1, 0.2, 0.3] })
    expect(store.getState().steps![0]!.params).toEqual({ mean: [0.4, 0.4, 0.4], std: [0.1, 0.2, 0.3] })
    store.setTta({ crops: 'full', cropFractions: [1], flip: true })
    expect(store.getState().valid?.tta).toEqual({ crops: 'full', cropFractions: [1], flip: true })
    store.undo()
    expect(store.getState().tta).toBeNull()
    store.load(draftOf({ steps: [createStep('cutout', 'c1')], tta: { crops: 'full', cropFractions: [1], flip: true } }))
    expect(kinds(store)).toEqual(['cutout'])
    expect(store.canUndo()).toBe(false)
  })

  it('offers every registered kind, RandAugment included, with its label and description', () => {
    const store = editor()
    for (const k of listAugmentKinds()) expect(store.addStep(k.kind)).not.toBeNull()
    expect(messages(store)).toEqual([])
    const ra = listAugmentKinds().find((k) => k.kind === 'randAugment')!
    expect([ra.label, ra.description.length > 20]).toEqual(['RandAugment', true])
  })
})
