/**
 * Does a design fit a dataset? (pure): the design's Input shape against the dataset's images (height x width x
 * channels) and its classifier's outputs against the dataset's classes, said in the words of the editor (the node's
 * layer label, its name and the field the user edits), with the document that fixes it (Input shape and Output
 * classes set, checked again) when that is a change of those two fields.
 */
import { analyzeGraph } from './analyze'
import { displayName } from './expand'
import { setParam } from './ops'
import { getLayer } from './registry'
import { upgradeGraphDocument } from './schema'
import type { GraphDocument, GraphNode, Shape } from './types'

export interface DatasetFacts {
  /** Images as [height, width, channels]. */
  readonly shape: readonly [number, number, number]
  readonly classes: number
}

export interface FitProblem {
  readonly kind: 'design' | 'input' | 'output'
  /** The node of the document as given (top level) the problem is on, when there is one. */
  readonly nodeId?: string
  readonly message: string
}

export interface DatasetFit {
  readonly ok: boolean
  readonly problems: readonly FitProblem[]
  /** The design with its Input shape and Output classes set for the dataset, when that makes it fit; else null. */
  readonly fixed: GraphDocument | null
}

/** "Output (classifier) “fc”": the layer label the editor shows, then the node's name. */
export function nodeWords(node: GraphNode): string {
  const label = getLayer(node.kind)?.label ?? node.kind
  return `${label} “${displayName(node)}”`
}

const fieldLabel = (kind: string, param: string, fallback: string) => getLayer(kind)?.params[param]?.label ?? fallback
/** 28×28×1, as the forms write sizes. */
export const shapeWords = (shape: Shape): string => shape.join('×')
const sameShape = (a: Shape | undefined, b: Shape) => !!a && a.length === b.length && a.every((v, i) => v === b[i])
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 'es'}`

function problemsOf(doc: GraphDocument, data: DatasetFacts): { problems: FitProblem[]; inputNode?: GraphNode; outputNode?: GraphNode } {
  const analysis = analyzeGraph(doc)
  const problems: FitProblem[] = []
  const top = new Map(doc.nodes.map((n) => [n.id, n]))
  const inputs = doc.nodes.filter((n) => n.kind === 'Input')
  const want: Shape = [...data.shape]
  let inputNode: GraphNode | undefined
  if (inputs.length !== 1) {
    problems.push({ kind: 'design', message: inputs.length === 0 ? 'The design has no Input node: add one from the palette' : `The design has ${inputs.length} Input nodes; training feeds the images into exactly one` })
  } else {
    inputNode = inputs[0]!
    const shape = analysis.nodes[inputNode.id]?.outputShape
    if (!sameShape(shape, want)) {
      problems.push({
        kind: 'input',
        nodeId: inputNode.id,
        message: `${nodeWords(inputNode)}: set ${fieldLabel('Input', 'shape', 'Shape')} to ${shapeWords(want)} (it is ${shape ? shapeWords(shape) : 'not set'}; the dataset's images are ${shapeWords(want)})`,
      })
    }
  }
  let outputNode: GraphNode | undefined
  if (analysis.outputIds.length !== 1) {
    problems.push({ kind: 'design', message: analysis.outputIds.length === 0 ? 'The design has no output: end it with an Output (classifier) node' : `The design has ${analysis.outputIds.length} outputs; training needs exactly one, an Output (classifier) node` })
  } else {
    const outId = analysis.outputIds[0]!
    const flatNode = analysis.flat.nodes.find((n) => n.id === outId)
    const topId = analysis.nodes[outId]?.topNodeId ?? outId
    const node = top.get(topId) ?? flatNode
    const units = analysis.nodes[outId]?.outputShape
    const classes = units && units.length === 1 ? units[0] : undefined
    // No shape: an error upstream, reported below (or the Input's problem).
    if (node && units && classes !== data.classes) {
      const editable = top.has(outId) && (node.kind === 'Output' || node.kind === 'Dense')
      if (editable) outputNode = node
      const field = fieldLabel(node.kind, 'units', 'Units')
      problems.push({
        kind: 'output',
        nodeId: node.id,
        message: `${nodeWords(node)}: set ${field} to ${data.classes} (it gives ${classes !== undefined ? classes : shapeWords(units)} outputs; the dataset has ${plural(data.classes, 'class')})`,
      })
    }
  }
  // Other errors of the design (after the two fields are right) block training too.
  if (problems.every((p) => p.kind !== 'input')) {
    const err = analysis.issues.find((i) => i.severity === 'error')
    if (err) {
      const at = err.topNodeId ? top.get(err.topNodeId) : undefined
      problems.push({ kind: 'design', ...(at ? { nodeId: at.id } : {}), message: `The design has an error${at ? ` at ${nodeWords(at)}` : ''}: ${err.message}` })
    }
  }
  return { problems, ...(inputNode ? { inputNode } : {}), ...(outputNode ? { outputNode } : {}) }
}

export function checkDatasetFit(input: GraphDocument, data: DatasetFacts): DatasetFit {
  const doc = upgradeGraphDocument(input)
  const { problems, inputNode, outputNode } = problemsOf(doc, data)
  if (problems.length === 0) return { ok: true, problems, fixed: null }
  if (problems.some((p) => p.kind === 'output') && !outputNode) return { ok: false, problems, fixed: null }
  let fixed = doc
  if (inputNode && problems.some((p) => p.kind === 'input')) fixed = setParam(fixed, inputNode.id, 'shape', [...data.shape])
  if (outputNode) fixed = setParam(fixed, outputNode.id, 'units', data.classes)
  const after = fixed === doc ? problems : problemsOf(fixed, data).problems
  return { ok: false, problems, fixed: fixed !== doc && after.length === 0 ? fixed : null }
}

/** Throws the fit problems in words (for the places that must not start a run the design cannot train). */
export function assertDatasetFit(doc: GraphDocument, data: DatasetFacts, names: { design?: string; dataset?: string } = {}): void {
  const fit = checkDatasetFit(doc, data)
  if (fit.ok) return
  const what = `The design${names.design ? ` “${names.design}”` : ''} does not fit the dataset${names.dataset ? ` “${names.dataset}”` : ''}`
  throw new Error(`${what}: ${fit.problems.map((p) => p.message).join('; ')}`)
}
