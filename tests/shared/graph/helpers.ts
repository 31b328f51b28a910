import { GraphBuilder } from '@shared/graph'
import type { GraphDocument, Params, Shape } from '@shared/graph'

/** Input(shape) -> kind(params); `copies` edges from the Input for merges. */
export function singleLayerDoc(kind: string, params: Params, input: Shape | null, copies = 1): GraphDocument {
  const b = new GraphBuilder()
  if (kind === 'Input') {
    b.add('Input', params, { id: 'subject' })
    return b.build()
  }
  const x = b.add('Input', { shape: [...(input ?? [])] }, { id: 'input' })
  b.add(kind, params, { id: 'subject', from: Array.from({ length: copies }, () => x) })
  return b.build()
}
