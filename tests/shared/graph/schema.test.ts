import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { GraphDocumentError, MIGRATIONS, getLayer, getTemplate, parseGraphDocument, serializeGraphDocument } from '@shared/graph'
import { compileGraph } from '../../../shared/tfjs/compile'

const parseError = (input: unknown) => {
  try {
    parseGraphDocument(input)
  } catch (err) {
    expect(err).toBeInstanceOf(GraphDocumentError)
    return (err as Error).message
  }
  throw new Error('expected parseGraphDocument to throw')
}

describe('parseGraphDocument', () => {
  it('round-trips every template through JSON', () => {
    for (const name of ['resnet18', 'vgg16', 'toy-convnet']) {
      const doc = getTemplate(name)!.build([32, 32, 3], 10)
      expect(parseGraphDocument(serializeGraphDocument(doc))).toEqual(JSON.parse(JSON.stringify(doc)))
    }
  })

  it('refuses documents from a newer CNN Studio with a clear message', () => {
    expect(parseError({ format: 3, nodes: [], edges: [], blocks: [] })).toBe(
      'This graph was saved by a newer CNN Studio (format 3); this version reads format 2. Update CNN Studio to open it.',
    )
  })

  it('refuses malformed documents, naming the field', () => {
    expect(parseError('{"format":1,')).toMatch(/^This file is not valid JSON: /)
    expect(parseError([])).toBe('A graph document must be a JSON object, received an array')
    expect(parseError({ format: 'one' })).toBe('The graph document\'s "format" must be a whole number, received "one"')
    const msg = parseError({ format: 1, nodes: [{ id: 'a', kind: 'ReLU', params: {}, position: { x: 'left', y: 0 } }], edges: [], blocks: [] })
    expect(msg).toMatch(/^This is not a valid CNN Studio graph:\n {2}nodes\[0\]\.position\.x: /)
    expect(parseError({ format: 1, nodes: [{ id: 'a/b', kind: 'ReLU', params: {}, position: { x: 0, y: 0 } }], edges: [], blocks: [] })).toContain("nodes[0].id: must not contain '/'")
  })

  it('refuses dangling edges and duplicate ids', () => {
    const node = (id: string) => ({ id, kind: 'ReLU', params: {}, position: { x: 0, y: 0 } })
    const msg = parseError({ format: 1, nodes: [node('a'), node('a')], edges: [{ id: 'e', source: 'a', target: 'zz' }], blocks: [] })
    expect(msg).toContain('graph: two nodes have the id "a"')
    expect(msg).toContain('graph: edge "e" refers to node "zz", which does not exist')
  })

  it('migrates an unversioned (format 0) hand-written document', () => {
    expect(Object.keys(MIGRATIONS)).toEqual(['0', '1'])
    const doc = parseGraphDocument({
      nodes: [
        { id: 'in', kind: 'Input', params: { shape: [8] } },
        { id: 'out', kind: 'Output' },
      ],
      edges: [{ source: 'in', target: 'out' }],
    })
    expect(doc.format).toBe(2)
    expect(doc.blocks).toEqual([])
    expect(doc.nodes[1]).toEqual({ id: 'out', kind: 'Output', params: {}, position: { x: 0, y: 100 } })
    expect(doc.edges[0]!.id).toBe('e0')
  })

  it('migrates format 1 BatchNorm momentum (tfjs: the fraction kept) to the PyTorch convention, so old designs train as before', async () => {
    await tf.setBackend('cpu')
    expect(getLayer('BatchNorm')!.defaults.momentum).toBe(0.1)
    const bn = (id: string, params: Record<string, number> = {}) => ({ id, kind: 'BatchNorm', params, position: { x: 0, y: 0 } })
    const old = {
      format: 1,
      nodes: [
        { id: 'in', kind: 'Input', params: { shape: [4, 4, 2] }, position: { x: 0, y: 0 } },
        bn('bn_default'),
        bn('bn_explicit', { momentum: 0.95 }),
        { id: 'blk', kind: 'Block', params: { blockId: 'b', repeat: 1 }, position: { x: 0, y: 0 } },
        { id: 'flat', kind: 'Flatten', params: {}, position: { x: 0, y: 0 } },
        { id: 'out', kind: 'Output', params: { units: 2 }, position: { x: 0, y: 0 } },
      ],
      edges: ['in->bn_default', 'bn_default->bn_explicit', 'bn_explicit->blk', 'blk->flat', 'flat->out'].map((e) => {
        const [source, target] = e.split('->') as [string, string]
        return { id: e, source, target }
      }),
      blocks: [
        {
          id: 'b',
          name: 'b',
          nodes: [
            { id: 'x', kind: 'BlockInput', params: {}, position: { x: 0, y: 0 } },
            bn('inner', { momentum: 0.9 }),
            { id: 'y', kind: 'BlockOutput', params: {}, position: { x: 0, y: 0 } },
          ],
          edges: [
            { id: 'x->inner', source: 'x', target: 'inner' },
            { id: 'inner->y', source: 'inner', target: 'y' },
          ],
        },
      ],
    }
    const doc = parseGraphDocument(old)
    expect(doc.format).toBe(2)
    const momentum = (id: string) => doc.nodes.find((n) => n.id === id)!.params.momentum
    expect([momentum('bn_default'), momentum('bn_explicit')]).toEqual([0.01, 0.05])
    expect(doc.blocks[0]!.nodes.find((n) => n.id === 'inner')!.params.momentum).toBe(0.1)
    // The compiled tfjs layers keep the old numbers, whether the document was parsed or reaches the compiler as it
    // was saved (a run snapshot of an older version).
    for (const input of [doc, old as never]) {
      const { model } = compileGraph(input)
      const tfjsMomentum = (name: string) => (model.getLayer(name).getConfig() as { momentum: number }).momentum
      expect([tfjsMomentum('bn_default'), tfjsMomentum('bn_explicit'), tfjsMomentum('blk_0_inner')]).toEqual([0.99, 0.95, 0.9])
      model.dispose()
    }
    // A new BatchNorm (current format, default parameters) compiles to tfjs momentum 0.9.
    const fresh = compileGraph({ ...doc, nodes: doc.nodes.map((n) => (n.id === 'bn_default' ? { ...n, params: {} } : n)) })
    expect((fresh.model.getLayer('bn_default').getConfig() as { momentum: number }).momentum).toBe(0.9)
    fresh.model.dispose()
  })
})
