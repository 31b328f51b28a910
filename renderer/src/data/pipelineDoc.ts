/**
 * The Augmentations tab's pipeline document: loads the project's pipelines (creating "Default" when there is
 * none) into the editor's store (pipelineStore.ts: the draft, its validation, undo/redo), and autosaves valid
 * drafts through api().pipelines.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { useStore } from 'zustand'
import type { PipelineSummary } from '@shared/api'
import { emptyPipeline, validatePipeline, type ImageShape } from '@shared/augment/spec-only'
import { api } from '../api/client'
import { reportError } from '../ui/dialogs'
import { createPipelineStore, draftOf } from './pipelineStore'

export type { DraftStep } from './pipelineStore'

export type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; version: number; edits: number } | { kind: 'invalid'; count: number } | { kind: 'error'; message: string }

export const AUTOSAVE_MS = 700

export function usePipelineDoc(projectId: number, shape: ImageShape) {
  const [store] = useState(() => {
    const s = createPipelineStore()
    s.setShape(shape)
    return s
  })
  useEffect(() => store.setShape(shape), [store, shape])
  const steps = useStore(store, (s) => s.steps)
  const tta = useStore(store, (s) => s.tta)
  const validation = useStore(store, (s) => s.validation)
  const valid = useStore(store, (s) => s.valid)
  const [pipelines, setPipelines] = useState<PipelineSummary[]>([])
  const [currentId, setCurrentId] = useState<number | null>(null)
  const [save, setSave] = useState<SaveState>({ kind: 'idle' })
  const lastSaved = useRef<string>('')
  const lastVersion = useRef(0)
  /** Saves that went into the newest version (autosaves less than a minute apart join one version). */
  const editsInVersion = useRef(0)
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)

  const refreshList = useCallback(async () => {
    const list = await api().pipelines.list({ projectId })
    setPipelines(list)
    return list
  }, [projectId])

  const open = useCallback(async (id: number) => {
    const { version } = await api().pipelines.get({ id })
    const doc = version.document
    const parsed = validatePipeline(doc)
    lastSaved.current = JSON.stringify(parsed.ok ? parsed.pipeline : doc)
    lastVersion.current = version.version
    editsInVersion.current = 0
    setCurrentId(id)
    store.load(draftOf(doc))
    setSave({ kind: 'saved', version: version.version, edits: 0 })
  }, [store])

  useEffect(() => {
    let live = true
    void (async () => {
      try {
        let list = await refreshList()
        if (list.length === 0) {
          await api().pipelines.create({ projectId, name: 'Default', document: emptyPipeline() })
          list = await refreshList()
        }
        if (live && list[0]) await open(list[0].id)
      } catch (e) {
        reportError(e)
      }
    })()
    return () => {
      live = false
    }
  }, [projectId, refreshList, open])

  // Autosave (debounced) whenever the draft is valid and differs from what was saved.
  useEffect(() => {
    if (currentId === null || !validation) return
    if (!validation.ok) {
      setSave({ kind: 'invalid', count: validation.errors.length })
      return
    }
    const text = JSON.stringify(validation.pipeline)
    if (text === lastSaved.current) {
      // Back to what is saved (e.g. a typo fixed): nothing to write.
      setSave({ kind: 'saved', version: lastVersion.current, edits: editsInVersion.current })
      return
    }
    setSave({ kind: 'saving' })
    if (timer.current) clearTimeout(timer.current)
    const id = currentId
    timer.current = setTimeout(() => {
      api()
        .pipelines.save({ id, document: validation.pipeline })
        .then(
          (v) => {
            lastSaved.current = text
            editsInVersion.current = v.version === lastVersion.current ? editsInVersion.current + 1 : 1
            lastVersion.current = v.version
            setSave({ kind: 'saved', version: v.version, edits: editsInVersion.current })
          },
          (e: unknown) => setSave({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
        )
    }, AUTOSAVE_MS)
    return () => {
      if (timer.current) clearTimeout(timer.current)
    }
  }, [validation, currentId])

  const create = useCallback(
    async (name: string) => {
      const v = await api().pipelines.create({ projectId, name, document: emptyPipeline() })
      await refreshList()
      await open(v.pipelineId)
    },
    [projectId, refreshList, open],
  )
  const rename = useCallback(
    async (name: string) => {
      if (currentId === null) return
      await api().pipelines.rename({ id: currentId, name })
      await refreshList()
    },
    [currentId, refreshList],
  )
  const remove = useCallback(async () => {
    if (currentId === null) return
    await api().pipelines.delete({ id: currentId })
    const list = await refreshList()
    if (list[0]) await open(list[0].id)
    else {
      await api().pipelines.create({ projectId, name: 'Default', document: emptyPipeline() })
      const again = await refreshList()
      if (again[0]) await open(again[0].id)
    }
  }, [currentId, projectId, refreshList, open])

  return { store, pipelines, currentId, steps, tta, setTta: store.setTta, validation, valid, save, open, create, rename, remove }
}
