import { beforeAll, describe, expect, it } from 'vitest'
import { createSearch, runSearch, trainTrial } from '../../../shared/procedure'
import { setupWasm } from '../tfjs/wasm-test-setup'
import { mnistSource } from '../train/mnist-data'
import { smallCnn } from './helpers'

beforeAll(async () => {
  await setupWasm()
})
describe('trainTrial (a search trial on the real Trainer)', () => {
  it('finishes a healthy trial with the validation loss as metric and stops a diverging one early (loss > 3x initial)', async () => {
    const data = mnistSource(128, 64, 4)
    const good = smallCnn()
    const bad = smallCnn()
    try {
      const ok = await trainTrial({ model: good, data, config: { epochs: 1, batchSize: 32, seed: 1, learningRate: 3e-3, optimizer: { type: 'adam' } } })
      expect(ok.status).toBe('done')
      expect(ok.metric).toBe(ok.extra!.valLoss)
      expect(ok.metric).toBeLessThan(Math.log(10))
      const boom = await trainTrial({ model: bad, data, config: { epochs: 2, batchSize: 16, seed: 1, learningRate: 50, optimizer: { type: 'sgd', momentum: 0.9 } } })
      expect(boom.status).toBe('early-stopped')
      expect(boom.extra!.steps).toBeLessThan(16)
      expect(boom.metric).toBeGreaterThan(ok.metric)
    } finally {
      good.dispose()
      bad.dispose()
    }
  })

  it('drives a small random search over lr with runSearch + trainTrial', async () => {
    const data = mnistSource(64, 32, 5)
    const state = createSearch({ lr: { type: 'logUniform', min: 1e-4, max: 1e-2 } }, { trials: 2, seed: 's' })
    const out = await runSearch(state, async (p) => {
      const model = smallCnn()
      try {
        return await trainTrial({ model, data, config: { epochs: 1, batchSize: 32, seed: 1, learningRate: p.lr as number, optimizer: { type: 'adam' } } })
      } finally {
        model.dispose()
      }
    })
    expect(out.status).toBe('finished')
    expect(out.state.done.map((d) => d.status)).toEqual(['done', 'done'])
    expect(out.best).not.toBeNull()
  })
})
