/**
 * The augmentation pipeline editor's state, outside React (like the architecture editor's store): a vanilla
 * zustand store holding the draft (steps that may be invalid while the user types, and the TTA choice), its
 * validation against the dataset's image shape, and undo/redo over every command. Components subscribe with
 * `useStore(store, selector)`; tests drive the commands headless. Loading and saving stay in pipelineDoc.ts.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import { canRedo, canUndo, createHistory, pushHistory, redo, undo, type History } from '@shared/graph/history'
import { createStep, getKindSpec, validatePipeline, type AugmentKind, type AugmentPipeline, type ChannelMoments, type ImageShape, type PipelineValidation, type TtaSpec } from '@shared/augment/spec-only'

/** A draft step: like AugmentStep, but its values may be anything the user typed. */
export interface DraftStep {
  id: string
  kind: AugmentKind
  enabled: boolean
  p: unknown
  params: Record<string, unknown>
}

/** What the editor edits (one undo step is one change of it). */
export interface PipelineDraft {
  readonly steps: readonly DraftStep[]
  readonly tta: TtaSpec | null
}

export interface PipelineEditorState {
  /** Null until a pipeline is loaded. */
  history: History<PipelineDraft> | null
  /** history.present.steps, for subscriptions. */
  steps: readonly DraftStep[] | null
  tta: TtaSpec | null
  shape: ImageShape | null
  validation: PipelineValidation | null
  /** The valid pipeline (null while the draft has errors). */
  valid: AugmentPipeline | null
}

export interface PipelineEditorActions {
  getState(): PipelineEditorState
  /** Shows a loaded pipeline: resets the history. */
  load(draft: PipelineDraft): void
  /** The image shape the shape-dependent checks use (normalize length, reflect padding). */
  setShape(shape: ImageShape): void
  /**
   * Adds a step of `kind` with its defaults (from `stats` when the kind derives its params from them). Preprocess
   * steps (Normalize) go last; other steps go before a trailing preprocess step. Returns the new step's id.
   */
  addStep(kind: AugmentKind, stats?: ChannelMoments | null): string | null
  removeStep(index: number): void
  moveStep(from: number, to: number): void
  setEnabled(index: number, enabled: boolean): void
  /** Typing in one field coalesces into one undo step. */
  setP(index: number, p: unknown): void
  setParam(index: number, name: string, value: unknown): void
  /** The kind's params from the dataset statistics (Normalize's mean / std). */
  fillFromStats(index: number, stats: ChannelMoments): void
  setTta(tta: TtaSpec | null): void
  /** Ends a coalescing run (a field lost focus): the next edit is its own undo step. */
  endCoalesce(): void
  undo(): void
  redo(): void
  canUndo(): boolean
  canRedo(): boolean
}

export type PipelineEditorStore = StoreApi<PipelineEditorState> & PipelineEditorActions

export function newStepId(kind: AugmentKind, steps: readonly DraftStep[]): string {
  let n = 1
  while (steps.some((s) => s.id === `${kind}-${n}`)) n++
  return `${kind}-${n}`
}

export function draftStep(kind: AugmentKind, steps: readonly DraftStep[], params?: Record<string, unknown>): DraftStep {
  const s = createStep(kind, newStepId(kind, steps))
  return { id: s.id, kind: s.kind, enabled: s.enabled, p: s.p, params: { ...(s.params as Record<string, unknown>), ...(params ?? {}) } }
}

/** A draft of a saved document's steps. */
export function draftOf(pipeline: { steps: readonly { id: string; kind: AugmentKind; enabled: boolean; p: number; params: object }[]; tta?: TtaSpec | undefined }): PipelineDraft {
  return { steps: pipeline.steps.map((s) => ({ id: s.id, kind: s.kind, enabled: s.enabled, p: s.p, params: { ...(s.params as Record<string, unknown>) } })), tta: pipeline.tta ?? null }
}

function validate(draft: PipelineDraft | undefined, shape: ImageShape | null): Pick<PipelineEditorState, 'validation' | 'valid'> {
  if (!draft) return { validation: null, valid: null }
  const validation = validatePipeline({ format: 1, steps: draft.steps, ...(draft.tta ? { tta: draft.tta } : {}) }, shape ?? undefined)
  return { validation, valid: validation.ok ? validation.pipeline : null }
}

export function createPipelineStore(): PipelineEditorStore {
  const store = createStore<PipelineEditorState>(() => ({ history: null, steps: null, tta: null, shape: null, validation: null, valid: null }))
  const get = store.getState
  const set = store.setState

  const show = (history: History<PipelineDraft>) => {
    const draft = history.present
    set({ history, steps: draft.steps, tta: draft.tta, ...validate(draft, get().shape) })
  }
  /** One command: a new draft from the present one (same object: nothing changed, nothing recorded). */
  const edit = (fn: (d: PipelineDraft) => PipelineDraft, coalesce?: string) => {
    const h = get().history
    if (!h) return
    const next = fn(h.present)
    if (next === h.present) return
    show(pushHistory(h, next, coalesce !== undefined ? { coalesce } : {}))
  }
  const editStep = (index: number, fn: (s: DraftStep) => DraftStep, coalesce?: string) =>
    edit((d) => {
      const step = d.steps[index]
      if (!step) return d
      const next = fn(step)
      return next === step ? d : { ...d, steps: d.steps.map((s, i) => (i === index ? next : s)) }
    }, coalesce)

  const actions: PipelineEditorActions = {
    getState: get,
    load(draft) {
      show(createHistory(draft))
    },
    setShape(shape) {
      const cur = get().shape
      if (cur && cur.height === shape.height && cur.width === shape.width && cur.channels === shape.channels) return
      set({ shape, ...validate(get().history?.present, shape) })
    },
    addStep(kind, stats) {
      let id: string | null = null
      edit((d) => {
        const spec = getKindSpec(kind)
        const params = spec.paramsFromStats && stats ? (spec.paramsFromStats(stats) as Record<string, unknown>) : undefined
        const step = draftStep(kind, d.steps, params)
        id = step.id
        const last = d.steps.at(-1)
        const beforeLast = last !== undefined && getKindSpec(last.kind).role === 'preprocess' && spec.role !== 'preprocess'
        return { ...d, steps: beforeLast ? [...d.steps.slice(0, -1), step, last] : [...d.steps, step] }
      })
      return id
    },
    removeStep(index) {
      edit((d) => (index >= 0 && index < d.steps.length ? { ...d, steps: d.steps.filter((_, i) => i !== index) } : d))
    },
    moveStep(from, to) {
      edit((d) => {
        if (from === to || from < 0 || to < 0 || from >= d.steps.length || to >= d.steps.length) return d
        const steps = [...d.steps]
        const [s] = steps.splice(from, 1)
        steps.splice(to, 0, s!)
        return { ...d, steps }
      })
    },
    setEnabled(index, enabled) {
      editStep(index, (s) => (s.enabled === enabled ? s : { ...s, enabled }))
    },
    setP(index, p) {
      editStep(index, (s) => (s.p === p ? s : { ...s, p }), `p:${get().steps?.[index]?.id ?? index}`)
    },
    setParam(index, name, value) {
      editStep(index, (s) => (s.params[name] === value ? s : { ...s, params: { ...s.params, [name]: value } }), `param:${get().steps?.[index]?.id ?? index}:${name}`)
    },
    fillFromStats(index, stats) {
      editStep(index, (s) => {
        const from = getKindSpec(s.kind).paramsFromStats
        return from ? { ...s, params: from(stats) as Record<string, unknown> } : s
      })
    },
    setTta(tta) {
      edit((d) => (JSON.stringify(d.tta) === JSON.stringify(tta) ? d : { ...d, tta }))
    },
    endCoalesce() {
      const h = get().history
      if (h?.lastKey !== undefined) {
        const { lastKey: _drop, ...rest } = h
        set({ history: rest })
      }
    },
    undo() {
      const h = get().history
      if (h && canUndo(h)) show(undo(h))
    },
    redo() {
      const h = get().history
      if (h && canRedo(h)) show(redo(h))
    },
    canUndo: () => {
      const h = get().history
      return h !== null && canUndo(h)
    },
    canRedo: () => {
      const h = get().history
      return h !== null && canRedo(h)
    },
  }
  return Object.assign(store, actions)
}
