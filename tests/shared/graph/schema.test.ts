import { describe, expect, it } from 'vitest'
import { GraphDocumentError, MIGRATIONS, getTemplate, parseGraphDocument, serializeGraphDocument } from '@shared/graph'

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
      'This graph was saved by a newer CNN Studio (format 3); this version reads format 1. Update CNN Studio to open it.',
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
    expect(Object.keys(MIGRATIONS)).toEqual(['0'])
    const doc = parseGraphDocument({
      nodes: [
        { id: 'in', kind: 'Input', params: { shape: [8] } },
        { id: 'out', kind: 'Output' },
      ],
      edges: [{ source: 'in', target: 'out' }],
    })
    expect(doc.format).toBe(1)
    expect(doc.blocks).toEqual([])
    expect(doc.nodes[1]).toEqual({ id: 'out', kind: 'Output', params: {}, position: { x: 0, y: 100 } })
    expect(doc.edges[0]!.id).toBe('e0')
  })
})
