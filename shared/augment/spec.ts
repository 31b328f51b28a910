/**
 * The pipeline document and its validation.
 *
 * Document: `{ format: 1, steps: AugmentStep[] }`, each step `{ id, kind, enabled, p, params }`.
 * `validatePipeline` refuses anything invalid with messages that name the step by its label and quote the
 * received value, e.g. `Random resized crop: scale min must be in (0, 1], received 1.2`.
 *
 * TF.js-free (it uses the spec registry, not the apply registry): the main process and the UI thread import it.
 */
import { z } from 'zod'
import type { AugmentContext } from './types'
import { AUGMENT_KINDS, augmentSpecRegistry, getKindSpec, isAugmentKind, structuredCloneJson } from './spec-registry'
import type { AugmentKind, AugmentStep } from './spec-registry'
import { fmt } from './kinds/common'
import { ttaSpecSchema, type TtaSpec } from './tta-spec'

export const PIPELINE_FORMAT = 1 as const

export interface AugmentPipeline {
  format: typeof PIPELINE_FORMAT
  steps: AugmentStep[]
  /** Test-time augmentation for evaluation (views averaged); absent means one view, the image itself. */
  tta?: TtaSpec
}

export interface ValidationIssue {
  /** Index of the step in `steps`, or null for document-level problems. */
  readonly stepIndex: number | null
  readonly stepId: string | null
  /** Path inside the step (e.g. ['params', 'scale', 0]). */
  readonly path: readonly (string | number)[]
  readonly message: string
}

export type PipelineValidation =
  | { readonly ok: true; readonly pipeline: AugmentPipeline; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly ValidationIssue[]; readonly warnings: readonly string[] }

/** Image shape for checks that depend on it (normalize length, reflect padding). */
export type ImageShape = Pick<AugmentContext, 'height' | 'width' | 'channels'>

export class AugmentValidationError extends Error {
  readonly issues: readonly ValidationIssue[]
  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((i) => i.message).join('\n'))
    this.name = 'AugmentValidationError'
    this.issues = issues
  }
}

/** zod schema of one step of a kind (kind literal + that kind's params schema). */
function stepSchemaOf<K extends AugmentKind>(kind: K) {
  return z.strictObject({
    id: z.string().min(1),
    kind: z.literal(kind),
    enabled: z.boolean(),
    p: z.number().min(0).max(1),
    params: augmentSpecRegistry[kind].schema,
  })
}

/** zod schema of the whole document, for API contracts. validatePipeline gives friendlier messages. */
export const augmentStepSchema = z.discriminatedUnion(
  'kind',
  AUGMENT_KINDS.map((k) => stepSchemaOf(k)) as unknown as [ReturnType<typeof stepSchemaOf>, ...ReturnType<typeof stepSchemaOf>[]],
)
export const augmentPipelineSchema = z.strictObject({ format: z.literal(PIPELINE_FORMAT), steps: z.array(augmentStepSchema), tta: ttaSpecSchema.optional() })

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function pathText(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`
  return out
}

function zodIssueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'custom') return issue.message
  const where = pathText(issue.path)
  if (issue.code === 'unrecognized_keys') {
    return `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(where ? `${where}.${k}` : k)).join(', ')}`
  }
  // zod says "Invalid input: expected number, received string"; we quote the value itself instead of its type.
  const hasInput = 'input' in issue
  const message = issue.message.replace(/^Invalid (input|option): /, '').replace(hasInput ? /, received [^,]*$/ : /$^/, '')
  const received = hasInput ? `, received ${fmt(issue.input)}` : ''
  return `${where ? `${where}: ` : ''}${message}${received}`
}

/**
 * Validates a pipeline document (also accepts a bare steps array). Missing params fall back to the kind's
 * defaults (documents from older versions stay loadable); unknown params and fields are refused. With
 * `shape`, also runs the checks that depend on the image size and channel count.
 */
export function validatePipeline(input: unknown, shape?: ImageShape): PipelineValidation {
  const errors: ValidationIssue[] = []
  const warnings: string[] = []
  const docError = (message: string) => errors.push({ stepIndex: null, stepId: null, path: [], message })

  let rawSteps: unknown
  let tta: TtaSpec | undefined
  if (Array.isArray(input)) {
    rawSteps = input
  } else if (isRecord(input)) {
    const format = input['format']
    if (typeof format === 'number' && Number.isInteger(format) && format > PIPELINE_FORMAT) {
      docError(
        `Augmentation pipeline format ${format} is newer than this version of CNN Studio understands (format ${PIPELINE_FORMAT}); update CNN Studio to open it`,
      )
      return { ok: false, errors, warnings }
    }
    if (format !== PIPELINE_FORMAT) docError(`Augmentation pipeline format must be ${PIPELINE_FORMAT}, received ${fmt(format)}`)
    for (const key of Object.keys(input)) {
      if (key !== 'format' && key !== 'steps' && key !== 'tta') docError(`Augmentation pipeline: unknown field ${JSON.stringify(key)}`)
    }
    if (input['tta'] !== undefined) {
      const t = ttaSpecSchema.safeParse(input['tta'], { reportInput: true })
      if (t.success) tta = t.data
      else for (const issue of t.error.issues) errors.push({ stepIndex: null, stepId: null, path: ['tta', ...issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x))], message: `Test-time augmentation: ${issue.message}` })
    }
    rawSteps = input['steps']
  } else {
    docError(`Augmentation pipeline must be an object { format, steps }, received ${fmt(input)}`)
    return { ok: false, errors, warnings }
  }
  if (!Array.isArray(rawSteps)) {
    docError(`Augmentation pipeline steps must be a list, received ${fmt(rawSteps)}`)
    return { ok: false, errors, warnings }
  }

  const steps: AugmentStep[] = []
  const seenIds = new Map<string, number>()
  rawSteps.forEach((raw: unknown, index) => {
    const stepErrors: ValidationIssue[] = []
    const idValue = isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : null
    const kindValue = isRecord(raw) ? raw['kind'] : undefined
    const def = isAugmentKind(kindValue) ? getKindSpec(kindValue) : null
    const label = def ? def.label : `Step ${index + 1}`
    const add = (path: (string | number)[], message: string) =>
      stepErrors.push({ stepIndex: index, stepId: idValue, path, message: `${label}: ${message}` })

    if (!isRecord(raw)) {
      add([], `must be an object { id, kind, enabled, p, params }, received ${fmt(raw)}`)
      errors.push(...stepErrors)
      return
    }
    if (!def) add(['kind'], `kind must be one of ${AUGMENT_KINDS.join(', ')}, received ${fmt(kindValue)}`)
    if (idValue === null || idValue.length === 0) add(['id'], `id must be a non-empty string, received ${fmt(raw['id'])}`)
    else if (seenIds.has(idValue)) add(['id'], `id ${JSON.stringify(idValue)} is already used by step ${(seenIds.get(idValue) as number) + 1}`)
    else seenIds.set(idValue, index)
    const enabled = raw['enabled'] ?? true
    if (typeof enabled !== 'boolean') add(['enabled'], `enabled must be true or false, received ${fmt(enabled)}`)
    const p = raw['p'] ?? def?.defaultP
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) add(['p'], `probability must be in [0, 1], received ${fmt(p)}`)
    else if (def?.checkP) {
      const msg = def.checkP(p)
      if (msg) add(['p'], msg)
    }
    for (const key of Object.keys(raw)) {
      if (!['id', 'kind', 'enabled', 'p', 'params'].includes(key)) add([key], `unknown field ${JSON.stringify(key)}`)
    }

    let params: object | undefined
    if (def) {
      const rawParams = raw['params'] ?? {}
      if (!isRecord(rawParams)) {
        add(['params'], `params must be an object, received ${fmt(rawParams)}`)
      } else {
        const merged = { ...structuredCloneJson(def.defaults), ...rawParams }
        const parsed = def.schema.safeParse(merged, { reportInput: true })
        if (!parsed.success) {
          for (const issue of parsed.error.issues) add(['params', ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))], zodIssueMessage(issue))
        } else {
          params = parsed.data
          if (shape && def.checkContext) {
            for (const msg of def.checkContext(params, { ...shape, batchSize: 1 })) add(['params'], msg)
          }
        }
      }
    }

    if (stepErrors.length > 0 || !def || params === undefined) {
      errors.push(...stepErrors)
      return
    }
    steps.push({ id: idValue as string, kind: def.kind, enabled: enabled as boolean, p: p as number, params } as AugmentStep)
  })

  if (errors.length > 0) return { ok: false, errors, warnings }

  const enabledSteps = steps.filter((s) => s.enabled)
  const firstPreprocess = enabledSteps.findIndex((s) => getKindSpec(s.kind).role === 'preprocess')
  if (firstPreprocess >= 0) {
    const after = enabledSteps.slice(firstPreprocess + 1).filter((s) => getKindSpec(s.kind).expectsUnitRange)
    if (after.length > 0) {
      warnings.push(
        `${getKindSpec(enabledSteps[firstPreprocess]!.kind).label} comes before ${after.map((s) => getKindSpec(s.kind).label).join(', ')}; ` +
          'those steps will see normalized values (fill values and clipping assume pixels in [0, 1])',
      )
    }
  }
  return { ok: true, pipeline: { format: PIPELINE_FORMAT, steps, ...(tta ? { tta } : {}) }, warnings }
}

/** Like validatePipeline, but returns the pipeline or throws AugmentValidationError. */
export function assertValidPipeline(input: unknown, shape?: ImageShape): AugmentPipeline {
  const result = validatePipeline(input, shape)
  if (!result.ok) throw new AugmentValidationError(result.errors)
  return result.pipeline
}

/** Parses a saved pipeline (JSON text or already-parsed value). Refuses newer formats with a clear message. */
export function parsePipelineDocument(json: string | unknown): PipelineValidation {
  if (typeof json === 'string') {
    let value: unknown
    try {
      value = JSON.parse(json)
    } catch (e) {
      return {
        ok: false,
        errors: [{ stepIndex: null, stepId: null, path: [], message: `Augmentation pipeline is not valid JSON: ${(e as Error).message}` }],
        warnings: [],
      }
    }
    return validatePipeline(value)
  }
  return validatePipeline(json)
}

/** The document to save: a plain JSON copy. */
export function serializePipeline(pipeline: AugmentPipeline): string {
  return JSON.stringify({ format: PIPELINE_FORMAT, steps: pipeline.steps, ...(pipeline.tta ? { tta: pipeline.tta } : {}) })
}

/** An empty pipeline. */
export function emptyPipeline(): AugmentPipeline {
  return { format: PIPELINE_FORMAT, steps: [] }
}
