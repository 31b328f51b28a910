import { describe, expect, it } from 'vitest'
import { analyzeGraph } from '../../../shared/graph/analyze'
import '../../../shared/graph/layers'
import { editorNames, layerNames } from '../../../shared/graph/names'
import { resnet20 } from '../../../shared/graph/templates'
import { compileGraph } from '../../../shared/tfjs/compile'

describe('editorNames: a compiled layer shown by the node name the editor shows', () => {
  it('maps every layer of a model with blocks back to its expanded node id (stages/0/conv1, not stages_0_conv1)', () => {
    const doc = resnet20([32, 32, 3], 10)
    const analysis = analyzeGraph(doc)
    const shown = editorNames(analysis)
    const { model } = compileGraph(doc)
    const nested = model.layers.map((l) => l.name).filter((n) => n.includes('_0_'))
    expect(nested.length).toBeGreaterThan(0)
    const ids = new Set(Object.keys(layerNames(analysis)))
    for (const layer of model.layers) {
      const name = shown(layer.name)
      expect(ids.has(name), `${layer.name} -> ${name}`).toBe(true)
    }
    for (const n of nested) expect(shown(n)).toContain('/')
    // A name it does not know stays as it is.
    expect(shown('not_a_layer')).toBe('not_a_layer')
  })
})
