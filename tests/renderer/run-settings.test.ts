import { describe, expect, it } from 'vitest'
import type { Run } from '@shared/api'
import { createStep } from '@shared/augment/spec-only'
import { lenet5 } from '@shared/graph/templates'
import { parseTrainingConfig } from '@shared/train/config'
import { diffRunSettings } from '../../renderer/src/runs/settings'

const lenet = lenet5([28, 28, 1], 10)

function training(overrides: Record<string, unknown> = {}) {
  const r = parseTrainingConfig({ epochs: 3, batchSize: 32, seed: 1, learningRate: 0.001, optimizer: { type: 'adam' }, ...overrides })
  if (!r.ok) throw new Error(r.errors.join('; '))
  return r.config
}

/** A snapshot as the Train view writes it (renderer/src/train/controller.ts RunSnapshot). */
function appRun(id: number, o: { backendRequested?: string; backend?: string; pipeline?: unknown; training?: Record<string, unknown>; extra?: Record<string, unknown> } = {}): Run {
  const config = {
    kind: 'cnn-studio/train',
    format: 1,
    architecture: { id: 7, name: 'LeNet-5', versionId: 12, version: 3, document: lenet },
    dataset: { id: 2, name: 'digits', classes: ['0', '1', '2'], shape: [28, 28, 1], trainSplit: 'train', valSplit: 'val', counts: { train: 800, val: 100, test: 100 }, split: { ratios: { train: 0.8, val: 0.1, test: 0.1 }, seed: 5 }, mean: [0.13], std: [0.31] },
    pipeline: o.pipeline === undefined ? null : o.pipeline,
    training: training(o.training),
    seed: 1,
    backendRequested: o.backendRequested ?? 'auto',
    appVersion: '0.1.0',
    ...o.extra,
  }
  return {
    id,
    projectId: 1,
    groupId: null,
    name: `run ${id}`,
    status: 'completed',
    backend: o.backend ?? 'wasm',
    appVersion: '0.1.0',
    createdAt: '2026-12-01T00:00:00Z',
    startedAt: null,
    endedAt: null,
    durationMs: 0,
    bestValAccuracy: null,
    bestEpoch: null,
    finalLoss: null,
    starred: false,
    tags: [],
    notes: null,
    datasetId: 2,
    architectureVersionId: 12,
    config,
    summary: null,
  }
}

const rowOf = (rows: ReturnType<typeof diffRunSettings>['rows'], label: string) => rows.find((r) => r.label === label)

describe('diffRunSettings: a run in the words of the forms', () => {
  it('shows class weighting in the Train form’s words (absent = unweighted), not as an "Other" path', () => {
    const d = diffRunSettings([appRun(1), appRun(2, { training: { classWeighting: 'balanced' } })], { differencesOnly: true })
    expect(d.rows.map((r) => `${r.section}: ${r.label}`)).toEqual(['Regularization: Weight the loss by class'])
    expect(d.rows[0]?.values.map((v) => v.text)).toEqual(['no (every image alike)', 'yes (balanced: rare classes count more)'])
  })

  it('shows the backend that was chosen and the one that was used when they differ', () => {
    const d = diffRunSettings([appRun(1, { backendRequested: 'webgpu', backend: 'webgpu' }), appRun(2, { backendRequested: 'wasm', backend: 'wasm', training: { epochs: 5 } })], { differencesOnly: true })
    expect(d.rows.map((r) => r.label)).toEqual(['Backend (chosen)', 'Backend (used)', 'Epochs'])
    expect(rowOf(d.rows, 'Backend (used)')!.values.map((v) => v.text)).toEqual(['WebGPU', 'WASM'])
    expect(rowOf(d.rows, 'Epochs')!.values.map((v) => v.text)).toEqual(['3', '5'])
  })

  it('says "None" for no augmentation and names the pipeline and its steps by their labels', () => {
    const pipeline = { id: 4, name: 'flips', versionId: 9, version: 2, document: { format: 1, steps: [createStep('horizontalFlip', 's1'), createStep('normalize', 's2', { enabled: false })] } }
    const d = diffRunSettings([appRun(1), appRun(2, { pipeline })], { differencesOnly: true })
    expect(rowOf(d.rows, 'Augmentation')!.values.map((v) => v.text)).toEqual(['None', 'flips · v2'])
    // Disabled steps are not listed; kinds by their registry label.
    const steps = rowOf(d.rows, 'Augmentation steps')!.values.map((v) => v.text)
    expect(steps[0]).toBe('None')
    expect(steps[1]).not.toMatch(/normalize/i)
    expect(steps[1]).toMatch(/flip/i)
    // Nothing internal: no database ids, no document fingerprints in angle brackets.
    for (const r of d.rows) {
      expect(r.id).not.toMatch(/(^|\.)(id|versionId)$/)
      for (const v of r.values) expect(v.text).not.toMatch(/<document|null|undefined/)
    }
  })

  it('labels the update rule as the form does and formats values for people', () => {
    const d = diffRunSettings([appRun(1, { training: { optimizer: { type: 'sgd', momentum: 0.9 }, clipGradNorm: 1 } }), appRun(2, { training: { optimizer: { type: 'sgd', momentum: 0.9, nesterov: true } } })])
    expect(rowOf(d.rows, 'Update rule')!.values.map((v) => v.text)).toEqual(['SGD + momentum', 'SGD + Nesterov momentum'])
    expect(rowOf(d.rows, 'Gradient clipping')!.values.map((v) => v.text)).toEqual(['1', 'off'])
    expect(rowOf(d.rows, 'Learning rate')!.values.map((v) => v.text)).toEqual(['0.001', '0.001'])
    expect(rowOf(d.rows, 'Learning rate')!.differs).toBe(false)
    expect(rowOf(d.rows, 'Engine')!.values[0]!.text).toBe('TF.js · in the app')
    expect(rowOf(d.rows, 'Exclude biases and norm parameters from weight decay')!.values[0]!.text).toBe('yes')
  })

  it('a changed graph is one "Graph" row; anything the forms do not know is listed by its path', () => {
    const wide = structuredClone(lenet)
    const conv = wide.nodes.find((n) => n.kind === 'Conv2D')!
    ;(conv.params as Record<string, unknown>).filters = 12
    const a = appRun(1)
    const b = appRun(2, { extra: { futureSetting: 'on' } })
    ;(b.config as { architecture: { document: unknown } }).architecture.document = wide
    const d = diffRunSettings([a, b], { differencesOnly: true })
    expect(d.rows.map((r) => r.id)).toEqual(['architecture.document', 'futureSetting'])
    expect(rowOf(d.rows, 'Graph')!.values[0]!.text).toMatch(/^\d+ nodes · #[0-9a-f]{6}$/)
    expect(rowOf(d.rows, 'futureSetting')!.values.map((v) => v.text)).toEqual(['—', 'on'])
  })

  it('a CLI snapshot reads the same way (origin, params, template)', () => {
    const cli = appRun(1)
    const c = cli.config as Record<string, unknown>
    c.origin = 'cli'
    c.params = 61706
    ;(c.architecture as Record<string, unknown>).version = null
    ;(c.architecture as Record<string, unknown>).template = 'lenet5'
    const d = diffRunSettings([cli, appRun(2)], { differencesOnly: true })
    expect(rowOf(d.rows, 'Engine')!.values.map((v) => v.text)).toEqual(['TF.js · studio command', 'TF.js · in the app'])
    expect(rowOf(d.rows, 'Design')!.values.map((v) => v.text)).toEqual(['LeNet-5', 'LeNet-5 · v3'])
    expect(rowOf(d.rows, 'Parameters')!.values.map((v) => v.text)).toEqual(['61,706', '—'])
  })
})
