import { describe, expect, it } from 'vitest'
import { ApiError, architecturesContract, projectsContract } from '@shared/api'
import { lenet5, setParam, toyConvnet } from '@shared/graph'
import { createArchitecturesService } from '../../main/services/architectures'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()
async function setup() {
  const t = tempDataDir()
  const studio = openStudio(t.dir)
  temps.push(() => studio.close(), t.cleanup)
  const project = await clientFor(studio, projectsContract).create({ name: 'p' })
  return { studio, project, archs: clientFor(studio, architecturesContract) }
}

describe('architectures service', () => {
  it('stores a document, returns it parsed, and lists designs per project', async () => {
    const { project, archs } = await setup()
    const doc = toyConvnet([28, 28, 1], 10)
    const created = await archs.create({ projectId: project.id, name: 'Toy ConvNet', document: doc })
    expect(created.version).toBe(1)
    expect(created.document).toEqual(doc)
    const list = await archs.list({ projectId: project.id })
    expect(list).toMatchObject([{ name: 'Toy ConvNet', latestVersion: 1, versionCount: 1 }])
  })

  it('coalesces quick autosaves, appends after a minute, and always appends named versions', async () => {
    const { studio, project } = await setup()
    let clock = Date.parse('2026-01-01T00:00:00Z')
    const events: unknown[] = []
    const svc = createArchitecturesService(studio.db, (_e, p) => events.push(p), () => new Date(clock))
    const doc = lenet5([32, 32, 1], 10)
    const a = await svc.create({ projectId: project.id, name: 'LeNet', document: doc })
    const firstConv = doc.nodes.find((n) => n.kind === 'Conv2D')!.id
    clock += 10_000
    const s1 = await svc.save({ id: a.architectureId, document: setParam(doc, firstConv, 'filters', 8) })
    expect(s1.version).toBe(1) // updated in place
    clock += 61_000
    const s2 = await svc.save({ id: a.architectureId, document: setParam(doc, firstConv, 'filters', 12) })
    expect(s2.version).toBe(2)
    const named = await svc.save({ id: a.architectureId, document: s2.document, label: 'baseline' })
    expect(named).toMatchObject({ version: 3, label: 'baseline' })
    clock += 1000
    const afterNamed = await svc.save({ id: a.architectureId, document: setParam(doc, firstConv, 'filters', 16) })
    expect(afterNamed.version).toBe(4) // never overwrites a named version
    const history = await (svc.history({ id: a.architectureId }))
    expect(history.map((h) => [h.version, h.label])).toEqual([[4, null], [3, 'baseline'], [2, null], [1, null]])
    const v1 = await (svc.get({ id: a.architectureId, version: 1 }))
    expect(v1.version.document.nodes.find((n) => n.id === firstConv)?.params.filters).toBe(8)
    expect(events.length).toBe(5)
  })

  it('refuses malformed and newer-format documents with the reason, writing nothing', async () => {
    const { studio, project, archs } = await setup()
    const refused = async (document: unknown) => {
      try {
        await archs.create({ projectId: project.id, name: 'bad', document })
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError)
        return error as ApiError
      }
      throw new Error('accepted')
    }
    const malformed = await refused({ format: 1, nodes: 'not a list', edges: [], blocks: [] })
    expect(malformed.code).toBe('invalid_payload')
    expect(malformed.issues[0]?.path).toBe('document')
    const newer = await refused({ format: 99, nodes: [], edges: [], blocks: [] })
    expect(newer.message).toMatch(/newer/i)
    expect((studio.db.prepare('SELECT COUNT(*) AS n FROM architectures').get() as { n: number }).n).toBe(0)
  })

  it('deleting the project deletes its designs and their history', async () => {
    const { studio, project, archs } = await setup()
    await archs.create({ projectId: project.id, name: 'x', document: toyConvnet([28, 28, 1], 10) })
    await clientFor(studio, projectsContract).delete({ id: project.id })
    expect((studio.db.prepare('SELECT COUNT(*) AS n FROM architecture_versions').get() as { n: number }).n).toBe(0)
  })
})
