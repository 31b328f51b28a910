import { parseArgs } from 'node:util'
import {
  GraphDocumentError,
  TEMPLATES,
  analyzeGraph,
  formatBytes,
  formatFlops,
  formatInt,
  formatParams,
  formatShape,
  getTemplate,
  parseGraphDocument,
} from '../../../shared/graph/index'
import type { GraphAnalysis, GraphDocument, Shape } from '../../../shared/graph/index'
import { UsageError, type CliIO, type Subcommand } from '../types'

const usage = `Usage: studio inspect <template-name|graph.json> [--input HxWxC|D] [--classes N] [--batch N] [--json]

Prints the per-layer table (name, kind, output shape, parameters, FLOPs) and totals.
  --input    input shape, e.g. 224x224x3 (or 4096 for a vector); default: the template's
  --classes  number of classes (the Output head's units); default: the template's
  --batch    batch size for the activation-memory estimate (default 1)
  --json     machine-readable output
Templates: ${TEMPLATES.map((t) => t.name).join(', ')}`

export function parseShapeArg(text: string): Shape {
  const parts = text.trim().toLowerCase().split('x')
  const dims = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN))
  if ((dims.length !== 1 && dims.length !== 3) || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input must look like HxWxC (e.g. 224x224x3) or D (e.g. 4096) with positive integers, received ${JSON.stringify(text)}`)
  }
  return dims
}

function parsePositiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer, received ${JSON.stringify(text)}`)
  return Number(text)
}

function loadDoc(target: string, io: CliIO, input: Shape | undefined, classes: number | undefined): { doc: GraphDocument; source: string } {
  const template = getTemplate(target)
  if (template) {
    return { doc: template.build(input ?? template.defaultInput, classes ?? template.defaultClasses), source: `template ${template.name}` }
  }
  if (!target.endsWith('.json') && !target.includes('/') && !target.includes('\\')) {
    throw new UsageError(`Unknown template ${JSON.stringify(target)}. Available: ${TEMPLATES.map((t) => t.name).join(', ')} (or pass a path to a graph .json file)`)
  }
  let text: string
  try {
    text = io.readFile(target)
  } catch (err) {
    throw new UsageError(`Cannot read ${target}: ${(err as Error).message}`)
  }
  let doc: GraphDocument
  try {
    doc = parseGraphDocument(text)
  } catch (err) {
    if (err instanceof GraphDocumentError) throw new UsageError(`${target}: ${err.message}`)
    throw err
  }
  const nodes = doc.nodes.map((n) => {
    if (n.kind === 'Input' && input) return { ...n, params: { ...n.params, shape: [...input] } }
    if (n.kind === 'Output' && classes) return { ...n, params: { ...n.params, units: classes } }
    return n
  })
  return { doc: { ...doc, nodes }, source: target }
}

function pad(s: string, width: number, right = false): string {
  return right ? s.padStart(width) : s.padEnd(width)
}

export function renderTable(analysis: GraphAnalysis, title: string): string {
  const header = ['Layer', 'Kind', 'Output shape', 'Params', 'FLOPs']
  const rows = analysis.table.map((r) => [r.name, r.kind, formatShape(r.outputShape), formatInt(r.params), r.flops ? formatFlops(r.flops) : '0'])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const right = [false, false, false, true, true]
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, right[i])).join('  ').trimEnd()
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2))
  const t = analysis.totals
  return [
    title,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params:       ${formatParams(t.params)}`,
    `  Trainable:        ${formatParams(t.trainableParams)}`,
    `  Non-trainable:    ${formatParams(t.nonTrainableParams)}`,
    `FLOPs per image:    ${formatFlops(t.flops)} (a multiply-add counts as 2 FLOPs)`,
    `Activations:        ${formatBytes(t.activationBytes)} at batch ${t.batchSize} (float32, all layer outputs)`,
    `Weights:            ${formatBytes(t.paramBytes)} (float32)`,
  ].join('\n')
}

export const inspectCommand: Subcommand = {
  name: 'inspect',
  summary: 'Print the layer table, parameters and FLOPs of a template or a graph file',
  usage,
  run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { input: { type: 'string' }, classes: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean', default: false } },
    })
    const { values, positionals } = parsed
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'inspect needs a template name or a graph .json file' : `inspect takes one target, received ${positionals.length}: ${positionals.join(' ')}`)
    const input = values.input !== undefined ? parseShapeArg(values.input) : undefined
    const classes = values.classes !== undefined ? parsePositiveInt('--classes', values.classes) : undefined
    const batchSize = values.batch !== undefined ? parsePositiveInt('--batch', values.batch) : 1
    const { doc, source } = loadDoc(positionals[0]!, io, input, classes)
    const analysis = analyzeGraph(doc, { batchSize })
    const errors = analysis.issues.filter((i) => i.severity === 'error')
    if (values.json) {
      io.stdout(
        JSON.stringify(
          {
            source,
            ok: analysis.ok,
            layers: analysis.table.map((r) => ({ id: r.id, name: r.name, kind: r.kind, outputShape: r.outputShape, params: r.params, trainableParams: r.trainableParams, nonTrainableParams: r.nonTrainableParams, flops: r.flops, inputs: r.inputs })),
            totals: analysis.totals,
            issues: analysis.issues,
          },
          null,
          2,
        ) + '\n',
      )
    } else {
      io.stdout(renderTable(analysis, `Model: ${source}`) + '\n')
      for (const w of analysis.issues.filter((i) => i.severity === 'warning')) io.stderr(`warning: ${w.message}\n`)
    }
    for (const e of errors) io.stderr(`error: ${e.message}\n`)
    return errors.length > 0 ? 1 : 0
  },
}

