import { describe, expect, it } from 'vitest'
import { ApiError, pipelinesContract, projectsContract } from '@shared/api'
import { createStep, emptyPipeline } from '@shared/augment'
import { cleanups, clientFor, openStudio, tempDataDir } from './helpers'

const temps = cleanups()

describe('pipelines service', () => {
  it('saves versioned pipelines with the project and refuses invalid parameters with the step and field named', async () => {
    const t = tempDataDir()
    const studio = openStudio(t.dir)
    temps.push(() => studio.close(), t.cleanup)
    const project = await clientFor(studio, projectsContract).create({ name: 'p' })
    const pipelines = clientFor(studio, pipelinesContract)
    const doc = { ...emptyPipeline(), steps: [createStep('horizontalFlip', 'flip'), createStep('cutout', 'cut')] }
    const created = await pipelines.create({ projectId: project.id, name: 'Standard', document: doc })
    expect(created.document.steps.map((s) => s.kind)).toEqual(['horizontalFlip', 'cutout'])
    expect(await pipelines.list({ projectId: project.id })).toMatchObject([{ name: 'Standard', latestVersion: 1 }])

    const bad = { ...doc, steps: [{ ...createStep('randomResizedCrop', 'crop'), params: { ...createStep('randomResizedCrop', 'crop').params, scale: [1.2, 1.5] } }] }
    const error = await pipelines.save({ id: created.pipelineId, document: bad }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).message).toMatch(/received 1\.2/)
    expect((error as ApiError).issues[0]?.path).toMatch(/^document\.steps\.0\.params\.scale/)
    expect((await pipelines.get({ id: created.pipelineId })).version.document).toEqual(created.document)
  })
})
