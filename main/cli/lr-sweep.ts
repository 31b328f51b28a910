/**
 * `studio lr-sweep`: step 3 of the procedure (shared/procedure lrSweep): short runs at 1e-1..1e-5 with weight
 * decay 1e-4 from the same initial weights, each curve classified (exploded / flat / decreasing) and a rate
 * recommended; `--range-test` adds the continuous LR range test. MNIST digits by default, WASM backend.
 */
import { parseArgs } from 'node:util'
import type { OptimizerSpecInput } from '../../shared/train/config'
import { MODEL_OPTIONS, MODEL_USAGE, modelAndData, numberArg, pipelineArg, useBackend } from './check'
import { optimizerArg, optimizerFlagHelp } from './optimizer-arg'
import { type Subcommand } from './types'

const usage = `Usage: studio lr-sweep (--graph <file> | --template <name>) [options]

Short runs at each learning rate from the same initial weights; NaN or loss > 3x the initial -> too high, flat
-> too low; recommends the rate with the clearest stable decrease.
  --iterations N         iterations per rate (default 100)
  --rates a,b,...        default 1e-1,1e-2,1e-3,1e-4,1e-5
  --weight-decay W       default 1e-4
  --batch B              default 32
  --optimizer O          ${optimizerFlagHelp('momentum: SGD + momentum 0.9')};
                         each with its default hyperparameters (\`studio train --help\` lists them)
  --examples N           training examples (default 2048)
  --data random|mnist    default mnist
  --range-test           also run the LR range test (LR raised exponentially over one pass)
${MODEL_USAGE}`

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x))

export const lrSweepCommand: Subcommand = {
  name: 'lr-sweep',
  summary: 'Find a learning rate: short runs at 1e-1..1e-5 (and an optional LR range test)',
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        ...MODEL_OPTIONS,
        data: { type: 'string' },
        iterations: { type: 'string' },
        rates: { type: 'string' },
        'weight-decay': { type: 'string' },
        batch: { type: 'string' },
        optimizer: { type: 'string' },
        examples: { type: 'string' },
        'range-test': { type: 'boolean', default: false },
      },
    })
    const v = parsed.values
    const json = v.json === true
    const iterations = v.iterations !== undefined ? numberArg('--iterations', v.iterations, { int: true, min: 1 }) : 100
    const rates = v.rates !== undefined ? v.rates.split(',').map((r) => numberArg('--rates', r, { positive: true })) : [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
    const weightDecay = v['weight-decay'] !== undefined ? numberArg('--weight-decay', v['weight-decay'], { min: 0 }) : 1e-4
    const batchSize = v.batch !== undefined ? numberArg('--batch', v.batch, { int: true, min: 1 }) : 32
    const examples = v.examples !== undefined ? numberArg('--examples', v.examples, { int: true, min: 1 }) : 2048
    const { name: opt, spec } = optimizerArg(v.optimizer, 'momentum')
    const optimizer = spec as OptimizerSpecInput
    await useBackend(v.backend, io, json)
    const { model, data, source, dataLabel } = await modelAndData(v, io, 'lr-sweep', { defaultData: 'mnist', count: examples })
    try {
      const { lrSweep, lrRangeTest, sweepTooHigh } = await import('../../shared/procedure/index')
      const seed = v.seed ?? 0
      const pipeline = (await pipelineArg(v.pipeline, model.inputs[0]!.shape.slice(1), io))?.document ?? null
      const r = await lrSweep(model, data, { rates, iterations, weightDecay, batchSize, optimizer, seed, pipeline })
      const range = v['range-test'] === true ? await lrRangeTest(model, data, { batchSize, optimizer, seed, weightDecay, pipeline, tooHigh: sweepTooHigh(r.runs) }) : null
      if (json) {
        io.stdout(
          JSON.stringify({
            source,
            data: dataLabel,
            iterations,
            weightDecay,
            optimizer: opt,
            initialLoss: r.initialLoss,
            recommended: r.recommended,
            explanation: r.explanation,
            runs: r.runs.map((x) => ({ lr: x.lr, kind: x.classification.kind, verdict: x.verdict, relativeDecrease: Number.isFinite(x.classification.relativeDecrease) ? x.classification.relativeDecrease : null, reason: x.classification.reason, losses: x.curve.map((p) => (Number.isFinite(p.loss) ? p.loss : null)) })),
            rangeTest: range && { recommended: range.recommended, lrAtMinimum: range.lrAtMinimum, diverged: range.diverged, explanation: range.explanation, points: range.points.map((p) => ({ lr: p.lr, loss: Number.isFinite(p.loss) ? p.loss : null, smoothed: Number.isFinite(p.smoothed) ? p.smoothed : null })) },
          }) + '\n',
        )
      } else {
        io.stdout(`Model: ${source}; data: ${dataLabel}; ${iterations} iterations per rate, ${opt}, weight decay ${weightDecay}, initial loss ${fmt(r.initialLoss)}\n`)
        io.stdout(`${'lr'.padEnd(8)}  ${'result'.padEnd(10)}  ${'verdict'.padEnd(11)}  detail\n`)
        for (const x of r.runs) io.stdout(`${fmt(x.lr).padEnd(8)}  ${x.classification.kind.padEnd(10)}  ${x.verdict.padEnd(11)}  ${x.classification.reason}\n`)
        io.stdout(`${r.explanation}\n`)
        if (range) io.stdout(`Range test: ${range.explanation}\n`)
      }
      return r.recommended === null ? 1 : 0
    } finally {
      model.dispose()
    }
  },
}
