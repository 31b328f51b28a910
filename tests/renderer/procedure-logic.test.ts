import { describe, expect, it } from 'vitest'
import { createSearch, type Finding, type InitLabResult } from '@shared/procedure'
import type { TrainingConfigInput } from '@shared/train/config'
import {
  bandsFor,
  columns,
  DEFAULT_SETUP,
  labVerdict,
  metricText,
  parseRates,
  parseSaved,
  serializeSaved,
  spaceOfSetup,
  sweepChartData,
  tableRows,
  trialConfig,
  trialMetric,
  newSearch,
} from '../../renderer/src/procedure/logic'

describe('procedure view logic', () => {
  it('parses rates and builds sweep columns with gaps', () => {
    expect(parseRates('1e-1, 1e-2 1e-3')).toEqual([0.1, 0.01, 0.001])
    expect(parseRates('1e-1, x')).toBeNull()
    expect(parseRates('')).toBeNull()
    const c = columns({ a: [{ step: 1, loss: 2 }, { step: 2, loss: NaN }], b: [{ step: 3, loss: 1 }] }, ['a', 'b'])
    expect(c.x).toEqual([1, 2, 3])
    expect(c.values).toEqual([[2, null, null], [null, null, 1]])
  })

  it('stops a diverged sweep curve where it diverged and caps the loss axis at 3x the initial loss', () => {
    const pts = {
      '0.1': [{ step: 1, loss: 2.3 }, { step: 2, loss: 5 }, { step: 3, loss: 184 }, { step: 4, loss: NaN }],
      '0.01': [{ step: 1, loss: 2.3 }, { step: 2, loss: 2.0 }, { step: 3, loss: 1.7 }, { step: 4, loss: 1.5 }],
      '1e-5': [{ step: 1, loss: 2.31 }, { step: 2, loss: 2.3 }, { step: 3, loss: NaN }],
    }
    const d = sweepChartData(pts, ['0.1', '0.01', '1e-5'], 2.3)
    expect(d.x).toEqual([1, 2, 3, 4])
    expect(d.cap).toBeCloseTo(6.9, 12)
    expect(d.curves.map((c) => c.divergedAt)).toEqual([3, null, 3])
    expect(d.curves[0]!.values).toEqual([2.3, 5, 184, null])
    expect(d.curves[1]!.values).toEqual([2.3, 2.0, 1.7, 1.5])
    expect(d.curves[2]!.values).toEqual([2.31, 2.3, null, null])
    // While the sweep runs (no initial loss yet): the highest first-iteration loss.
    expect(sweepChartData(pts, ['0.1', '0.01', '1e-5'], null).cap).toBeCloseTo(3 * 2.31, 12)
    expect(sweepChartData({}, ['0.1'], null)).toEqual({ x: [], curves: [{ key: '0.1', divergedAt: null, values: [] }], cap: null })
  })

  it('says whether the activations collapse, explode or stay', () => {
    const lab = (stds: number[]): InitLabResult => ({
      scheme: null,
      label: 'x',
      input: { mean: 0, std: 1 },
      layers: stds.map((std, i) => ({ layer: `relu${i + 1}`, className: 'ReLU', shape: [4], mean: 0, std, min: 0, max: 1, histogram: { edges: [], counts: [] }, deadFraction: 0, zeroFraction: 0.5 })),
    })
    expect(labVerdict(lab([0.4, 0.1, 0.01, 0.002])).kind).toBe('collapses')
    expect(labVerdict(lab([1.8, 5, 40, 110])).kind).toBe('explodes')
    expect(labVerdict(lab([0.8, 0.82, 0.84])).kind).toBe('stays')
  })

  it('turns evidence into shaded bands per chart', () => {
    const f: Finding = {
      id: 'overfitting',
      title: 'Overfitting',
      explanation: '',
      advice: '',
      severity: 'warning',
      evidence: [
        { series: 'valLoss', from: 3, to: 6, unit: 'epoch' },
        { series: 'valAcc', from: 3, to: 6, unit: 'epoch' },
        { series: 'trainAcc', from: 3, to: 6, unit: 'epoch' },
      ],
    }
    expect(bandsFor([f], 'epoch', ['trainLoss', 'valLoss'])).toEqual([{ from: 2.5, to: 6.5, severity: 'warning', label: 'Overfitting' }])
    expect(bandsFor([f], 'epoch', ['trainAcc', 'valAcc'])).toHaveLength(1)
    expect(bandsFor([f], 'step')).toEqual([])
  })

  it('validates a search setup and builds trial configs and metrics', () => {
    expect(spaceOfSetup(DEFAULT_SETUP)).toMatchObject({ ok: true, trials: 6, epochs: 1, space: { lr: { type: 'logUniform', min: 1e-4, max: 0.1 } } })
    expect(spaceOfSetup({ ...DEFAULT_SETUP, epochs: '9' })).toMatchObject({ ok: false })
    expect(spaceOfSetup({ ...DEFAULT_SETUP, params: { ...DEFAULT_SETUP.params, lr: { ...DEFAULT_SETUP.params.lr, min: '0' } } })).toMatchObject({ ok: false })
    const cfg = trialConfig({ epochs: 10, learningRate: 0.1, batchSize: 8 } as TrainingConfigInput, { lr: 0.003, batchSize: 64 }, 2)
    expect(cfg).toMatchObject({ epochs: 2, learningRate: 0.003, batchSize: 64, checkpoint: { keepEvery: 0 } })
    expect(trialMetric('valAcc', { valLoss: 1, valAcc: 0.9, trainLoss: 1 })).toBeCloseTo(0.1)
    expect(trialMetric('valLoss', { valLoss: null, valAcc: null, trainLoss: 0.7 })).toBe(0.7)
    expect(metricText('valAcc', 0.1)).toBe('90.0%')
  })

  it('ranks the table (pending last) and round-trips a saved search', () => {
    let state = createSearch({ lr: { type: 'logUniform', min: 1e-4, max: 1e-1 } }, { trials: 3, seed: 1 })
    const [a, b] = state.pending
    state = {
      ...state,
      pending: state.pending.slice(2),
      done: [
        { ...a!, metric: 2, status: 'done' },
        { ...b!, metric: 1, status: 'done', extra: { runId: 7 } },
      ],
    }
    const rows = tableRows(state)
    expect(rows.map((r) => [r.id, r.rank, r.status])).toEqual([
      [1, 1, 'done'],
      [0, 2, 'done'],
      [2, null, 'pending'],
    ])
    expect(rows[0]!.runId).toBe(7)
    const made = newSearch(DEFAULT_SETUP, { base: { epochs: 1 } as TrainingConfigInput, architectureId: 1, datasetId: 2, pipelineId: null, backend: 'wasm' }, 'k')
    if ('error' in made) throw new Error(made.error)
    const back = parseSaved(serializeSaved({ ...made, state }))
    expect(back?.state.done).toHaveLength(2)
    expect(back?.state.pending[0]?.id).toBe(2)
    expect(parseSaved('{broken')).toBeNull()
  })
})
