/**
 * `studio init-lab`: the lectures' initialization experiment (shared/procedure initLab) on a template or a
 * graph file: re-initialize every kernel with normal:STD, Xavier or Kaiming (seeded), run one forward pass on
 * N(0, 1) samples and print each layer's activation mean and std (and dead ReLU units).
 *   studio init-lab --template mlp-6x4096 --init normal:0.01,kaiming
 */
import { parseArgs } from 'node:util'
import { compileOrUsage, loadGraph, MODEL_OPTIONS, MODEL_USAGE, numberArg, useBackend } from './check'
import { UsageError, type Subcommand } from './types'

const usage = `Usage: studio init-lab (--graph <file> | --template <name>) --init <normal:STD|xavier|kaiming>[,...] [options]

Re-initializes every kernel (normal:STD = STD * randn; xavier = randn * sqrt(1/Din); kaiming = randn *
sqrt(2/Din); biases 0), runs one forward pass on samples drawn from N(0, 1) and prints each layer's activation
mean and std. Several schemes (comma-separated) run side by side on the same model and inputs.
  --samples N            batch size (default 16)
${MODEL_USAGE}`

const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential(2) : x.toFixed(4)) : String(x))

export const initLabCommand: Subcommand = {
  name: 'init-lab',
  summary: 'Per-layer activation statistics at initialization (normal:STD, Xavier, Kaiming)',
  usage,
  async run(args, io) {
    const parsed = parseArgs({ args, allowPositionals: false, options: { ...MODEL_OPTIONS, init: { type: 'string' }, samples: { type: 'string' } } })
    const v = parsed.values
    const json = v.json === true
    if (v.init === undefined) throw new UsageError('init-lab needs --init normal:STD, xavier or kaiming (comma-separated for several)')
    const { parseInitScheme } = await import('../../shared/procedure/init-lab')
    const schemes = v.init.split(',').map((t) => {
      try {
        return parseInitScheme(t)
      } catch (err) {
        throw new UsageError((err as Error).message)
      }
    })
    const samples = v.samples !== undefined ? numberArg('--samples', v.samples, { int: true, min: 1, max: 4096 }) : 16
    await useBackend(v.backend, io, json)
    let doc
    let source
    if (v.template === 'mlp-6x4096' && v.graph === undefined) {
      // Built with zero kernels: the lab draws its own (seeded), so skip tfjs' 100M unseeded draws.
      const { mlp6x4096 } = await import('../../shared/graph/templates')
      const { shapeArg } = await import('./check')
      const input = v.input !== undefined ? shapeArg(v.input) : [4096]
      const classes = v.classes !== undefined ? numberArg('--classes', v.classes, { int: true, min: 2 }) : 10
      doc = mlp6x4096(input, classes, { kernelInitializer: 'zeros' })
      source = 'template mlp-6x4096'
    } else {
      ;({ doc, source } = await loadGraph(v, io, 'init-lab'))
    }
    const model = await compileOrUsage(doc)
    try {
      const { compareInitializers } = await import('../../shared/procedure/init-lab')
      const results = await compareInitializers(model, schemes, { samples, seed: v.seed ?? 0 })
      if (json) {
        io.stdout(
          JSON.stringify({
            source,
            samples,
            results: results.map((r) => ({
              init: r.label,
              scheme: r.scheme,
              input: r.input,
              layers: r.layers.map((l) => ({ layer: l.layer, className: l.className, shape: l.shape, mean: l.mean, std: l.std, min: l.min, max: l.max, deadFraction: l.deadFraction, histogram: l.histogram })),
            })),
          }) + '\n',
        )
        return 0
      }
      io.stdout(`Model: ${source}; ${samples} samples from N(0, 1)\n`)
      for (const r of results) {
        io.stdout(`\n${r.label}: input mean ${fmt(r.input.mean)} std ${fmt(r.input.std)}\n`)
        const width = Math.max(5, ...r.layers.map((l) => l.layer.length))
        io.stdout(`${'layer'.padEnd(width)}  ${'kind'.padEnd(10)}  ${'mean'.padStart(10)}  ${'std'.padStart(10)}  dead\n`)
        for (const l of r.layers) {
          const dead = l.deadFraction === null ? '' : `${(l.deadFraction * 100).toFixed(1)}%`
          io.stdout(`${l.layer.padEnd(width)}  ${l.className.padEnd(10)}  ${fmt(l.mean).padStart(10)}  ${fmt(l.std).padStart(10)}  ${dead}\n`)
        }
      }
      return 0
    } finally {
      model.dispose()
    }
  },
}
