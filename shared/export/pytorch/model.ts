/**
 * model.py: the graph as an `nn.Module`, from the layer registry's `toPytorch` emitters over the expanded graph
 * (the same analysis, topological order and layer names as the tfjs compiler), and the weight table convert.py
 * uses. Tensors in the PyTorch model are channels-first ([N, C, H, W]) or flat ([N, D]); the studio's are
 * channels-last, so the input is the studio's normalized images transposed, and every place where the layout
 * matters (Flatten, LayerNorm's affine, kernels) is handled by the layer's emitter.
 */
import { analyzeGraph } from '../../graph/analyze'
import '../../graph/layers'
import { layerNames } from '../../graph/names'
import { pyTuple } from '../../graph/pytorch'
import { getLayer, type PytorchLayer, type PytorchLayout, type PytorchWeight } from '../../graph/registry'
import type { GraphDocument, Shape } from '../../graph/types'
import { PytorchExportError, type PytorchExportPart } from './part'
export { PytorchExportError } from './part'

/** One studio weight and where it goes in the PyTorch state_dict. */
export interface PytorchWeightEntry {
  /** The studio checkpoint variable name (`<layer>/<weight>`). */
  readonly studio: string
  /** The state_dict key. */
  readonly torch: string
  readonly layout: PytorchLayout
  readonly studioShape: readonly number[]
  readonly torchShape: readonly number[]
  /** Trainable in the studio (false for BatchNorm's moving statistics). */
  readonly trainable: boolean
}

export interface PytorchModelPlan {
  /** model.py's text. */
  readonly source: string
  /** Every studio weight, in topological layer order, and its state_dict key. */
  readonly weights: readonly PytorchWeightEntry[]
  /** state_dict entries without a studio counterpart (BatchNorm's `num_batches_tracked`) and their value. */
  readonly extra: Readonly<Record<string, number>>
  /** Model inputs in the studio's layout ([H, W, C] or [D]), in the forward's argument order. */
  readonly inputShapes: readonly Shape[]
  /** True when the studio's output is softmax probabilities (Output head, or a final Softmax): forward returns the logits before it. */
  readonly outputIsSoftmax: boolean
}

/** nn.Module attributes (PyTorch 1.13 and 2.x): a layer named so gets a `layer_` prefix (assigning it would shadow the method). */
const RESERVED = new Set(
  (
    'T_destination add_module apply bfloat16 buffers children compile cpu cuda double dump_patches eval extra_repr float forward ' +
    'get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers named_children ' +
    'named_modules named_parameters parameters register_backward_hook register_buffer register_forward_hook ' +
    'register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook ' +
    'register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook ' +
    'register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train ' +
    'training type xpu zero_grad reset_parameters probabilities call_super_init'
  ).split(' '),
)
const attrName = (layer: string) => (layer.startsWith('_') || RESERVED.has(layer) ? `layer_${layer}` : layer)

export function torchShape(shape: readonly number[], layout: PytorchLayout): number[] {
  const s = [...shape]
  switch (layout) {
    case 'copy':
      return s
    case 'conv2d':
      return [s[3]!, s[2]!, s[0]!, s[1]!]
    case 'depthwise2d':
      return [s[2]! * s[3]!, 1, s[0]!, s[1]!]
    case 'dense':
      return [s[1]!, s[0]!]
    case 'hwc':
      return [s[2]!, s[0]!, s[1]!]
  }
}

const channelsFirst = (shape: Shape): number[] => (shape.length === 3 ? [shape[2]!, shape[0]!, shape[1]!] : [...shape])

/** Builds model.py and the weight table from a graph document. Throws `PytorchExportError` when the graph has errors. */
export function planPytorchModel(doc: GraphDocument): PytorchModelPlan {
  const analysis = analyzeGraph(doc)
  const errors = analysis.issues.filter((i) => i.severity === 'error')
  if (errors.length > 0) {
    throw new PytorchExportError(`The graph has ${errors.length} error(s), so it cannot be exported:\n${errors.map((e) => `  ${e.message}`).join('\n')}`)
  }
  const names = layerNames(analysis)
  const kinds = new Map(analysis.flat.nodes.map((n) => [n.id, n.kind]))
  const outputIds = analysis.outputIds
  // The studio's loss trains on the logits before a softmax head (shared/train/loss.ts): so does this model.
  const single = outputIds.length === 1 ? outputIds[0]! : undefined
  const singleKind = single === undefined ? undefined : kinds.get(single)
  const finalSoftmax =
    single !== undefined && singleKind === 'Softmax' && analysis.nodes[single]!.outputShape!.length === 1 ? single : undefined
  const outputIsSoftmax = singleKind === 'Output' || finalSoftmax !== undefined

  const init: string[] = []
  const forward: string[] = []
  const resets: string[] = []
  const weights: PytorchWeightEntry[] = []
  const extra: Record<string, number> = {}
  const value = new Map<string, string>()
  const args: string[] = []
  const inputShapes: Shape[] = []
  for (const id of analysis.order) {
    const layer = names[id]
    if (layer === undefined) continue
    const info = analysis.nodes[id]!
    const kind = kinds.get(id)!
    const def = getLayer(kind)!
    const attr = attrName(layer)
    const local = `x_${layer}`
    const inputShapesOf = info.inputs.map((s) => analysis.nodes[s]!.outputShape!)
    const emitted: PytorchLayer = def.toPytorch(info.params!, { inputShapes: inputShapesOf, outputShape: info.outputShape! })
    if (kind === 'Input') {
      args.push(local)
      inputShapes.push(info.outputShape!)
      value.set(id, local)
      continue
    }
    const xs = info.inputs.map((s) => value.get(s)!)
    if (id === finalSoftmax) {
      value.set(id, xs[0]!)
      forward.push(`        # ${info.name}: ${kind} left to the loss / probabilities() (the studio trains on its input)`)
      continue
    }
    const comment = `${info.name}: ${kind} -> ${pyTuple(channelsFirst(info.outputShape!))}`
    if (emitted.module !== undefined) {
      init.push(`        # ${info.name} (${kind})`)
      init.push(`        self.${attr} = ${emitted.module}`)
    }
    forward.push(`        ${local} = ${emitted.forward(`self.${attr}`, xs)}  # ${comment}`)
    value.set(id, local)
    for (const w of emitted.weights ?? ([] as PytorchWeight[])) {
      weights.push({
        studio: `${layer}/${w.studio}`,
        torch: `${attr}.${w.torch}`,
        layout: w.layout,
        studioShape: [...w.shape],
        torchShape: torchShape(w.shape, w.layout),
        trainable: !w.studio.startsWith('moving_'),
      })
    }
    for (const [k, v] of Object.entries(emitted.extra ?? {})) extra[`${attr}.${k}`] = v
    if (emitted.init !== undefined) {
      const i = emitted.init
      const bias = (emitted.weights ?? []).some((w) => w.torch === 'bias')
      resets.push(`        studio_init_(self.${attr}.${i.torch}, ${JSON.stringify(i.initializer)}, ${i.stddev}, ${i.fanIn}, ${i.fanOut})`)
      if (bias) resets.push(`        nn.init.zeros_(self.${attr}.bias)`)
    }
  }
  const outs = outputIds.map((o) => value.get(o)).filter((v): v is string => v !== undefined)
  if (args.length === 0) throw new PytorchExportError('The graph has no Input node')
  if (outs.length === 0) throw new PytorchExportError('The graph has no output')
  forward.push(`        return ${outs.length === 1 ? outs[0]! : `(${outs.join(', ')})`}`)
  const source = modelSource({ init, forward, resets, args, inputShapes, outputIsSoftmax })
  return { source, weights, extra, inputShapes, outputIsSoftmax }
}

function modelSource(o: { init: string[]; forward: string[]; resets: string[]; args: string[]; inputShapes: Shape[]; outputIsSoftmax: boolean }): string {
  const shapes = `[${o.inputShapes.map((s) => pyTuple(channelsFirst(s))).join(', ')}]`
  return `"""The CNN Studio design as a PyTorch model (generated by \`studio export pytorch\`; regenerate rather than edit).

Input: float32 [N, C, H, W] (the studio's channels-last images after its normalize steps, transposed), or [N, D]
for a flat input. forward() returns the logits${o.outputIsSoftmax ? ': the studio shows softmax(logits) (probabilities())' : ''}.
Layer names are the studio's (its checkpoint variables are "<layer>/<weight>"); convert.py maps the weights.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Per input, without the batch axis, channels-first.
INPUT_SHAPES = ${shapes}
# True when the studio's output is softmax(logits) (an Output head or a final Softmax).
OUTPUT_IS_SOFTMAX = ${o.outputIsSoftmax ? 'True' : 'False'}


def avg_pool_same(x, kernel, stride, pads):
    """TF "same" average pooling: zero-padded as TF pads, each window divided by its count of real pixels."""
    summed = F.avg_pool2d(F.pad(x, pads), kernel, stride, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), kernel, stride, divisor_override=1)
    return summed / count


class Affine(nn.Module):
    """The learned scale and/or shift of a normalization whose studio layer learns only one of gamma, beta."""

    def __init__(self, shape, view, scale=True, center=True):
        super().__init__()
        self.view = view
        self.weight = nn.Parameter(torch.ones(shape)) if scale else None
        self.bias = nn.Parameter(torch.zeros(shape)) if center else None

    def forward(self, x):
        if self.weight is not None:
            x = x * self.weight.view(self.view)
        if self.bias is not None:
            x = x + self.bias.view(self.view)
        return x


def studio_init_(weight, initializer, stddev, fan_in, fan_out):
    """The studio's (tfjs') kernel initializers; fans as tfjs computes them from the channels-last kernel."""
    with torch.no_grad():
        if initializer == "zeros":
            return nn.init.zeros_(weight)
        if initializer == "normal":
            return nn.init.normal_(weight, 0.0, stddev)
        scale = 2.0 / max(1.0, fan_in) if initializer.startswith("he") else 2.0 / max(1.0, fan_in + fan_out)
        if initializer.endswith("Normal"):
            std = math.sqrt(scale)  # tfjs: a normal truncated at two standard deviations
            return nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std)
        if initializer.endswith("Uniform"):
            limit = math.sqrt(3 * scale)
            return nn.init.uniform_(weight, -limit, limit)
        raise ValueError(f"unknown initializer {initializer!r}")


class StudioModel(nn.Module):
    def __init__(self):
        super().__init__()
${o.init.length ? o.init.join('\n') : '        pass'}
        self.reset_parameters()

    def reset_parameters(self):
        """Initial weights drawn as the studio draws them (from torch's generator: seed it with torch.manual_seed)."""
${o.resets.length ? o.resets.join('\n') : '        pass'}

    def forward(self, ${o.args.join(', ')}):
${o.forward.join('\n')}

    def probabilities(self, *inputs):
        """What the studio's model outputs: softmax of the logits for a softmax head, else the output itself."""
        out = self(*inputs)
        return torch.softmax(out, dim=1) if OUTPUT_IS_SOFTMAX else out


def build_model():
    return StudioModel()


if __name__ == "__main__":
    model = build_model()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    print(model)
    print(f"parameters: {trainable} trainable, {buffers} non-trainable (BatchNorm moving statistics)")
`
}

export const modelPart: PytorchExportPart = {
  id: 'model',
  files: (input) => [{ path: 'model.py', text: planPytorchModel(input.graph).source }],
  readme: (input) => {
    const plan = planPytorchModel(input.graph)
    return `## The model (model.py)

\`model.StudioModel\` is the design, layer for layer, with the studio's layer names. It takes float32
${plan.inputShapes.map((s) => (s.length === 3 ? `[N, ${s[2]}, ${s[0]}, ${s[1]}] (channels-first; the studio's [N, ${s.join(', ')}] transposed)` : `[N, ${s[0]}]`)).join(' and ')},
after the pipeline's normalize steps, and returns ${plan.outputIsSoftmax ? 'the logits: the studio shows their softmax (`model.probabilities(x)`)' : 'the last layer\'s output'}.
\`python model.py\` prints the layers and the parameter counts (they equal the studio's).

- Flatten turns the feature map back to channels-last before flattening, so the Dense layers after it see the
  studio's order and its weights convert as they are.
- "same" padding is TF's: with an even input and stride 2 it pads one more row/column at the bottom/right, so
  those layers pad explicitly (\`F.pad\`); "same" average pooling divides by the count of real pixels.
- BatchNorm's momentum is the studio's (PyTorch's convention, the fraction of the new batch statistics) and its
  epsilon the studio's (default 0.001, where PyTorch's default is 1e-5).
- LayerNorm normalizes over all of C, H, W; its per-element gamma/beta are [C, H, W] here ([H, W, C] in the studio).
- InstanceNorm and GroupNorm are PyTorch's own (no running statistics, per-channel gamma/beta); GroupNorm groups
  consecutive channels as the studio does.
- \`reset_parameters()\` draws the initial weights from the studio's initializers (heNormal etc. with tfjs' fans;
  biases 0); the values differ from a studio run with the same seed (another random generator).
`
  },
}
