/**
 * The bad-input campaign: generated malformed inputs (fast-check) thrown at each surface from outside, with the
 * outcome of every input counted. Shared by the CI tests (tests/main/faults-*.test.ts, few inputs) and
 * `npm run bench:faults` (bench/faults.ts, the full campaign, counts printed as JSON).
 *
 * Outcomes per input:
 *  - accepted: the input was valid after all and did what it asks;
 *  - clearError: refused with a message (an ApiError / GraphDocumentError / ImageDecodeError / pipeline issues
 *    with text, an HTTP 4xx);
 *  - crash: anything else (an `internal` API error, an exception of another type, an HTTP 5xx, an uncaught
 *    exception in the process, an error without a message);
 *  - hang: no answer within the surface's time limit;
 *  - dataLost: the database fails `PRAGMA integrity_check` afterwards, or good files did not make it.
 * The first few crashes and hangs are kept as examples (the input, shortened, and what happened).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import fc from 'fast-check'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { z } from 'zod'
import { contracts, methodChannel, WEB_HOST, type CallResult } from '../shared/api/index'
import { createStep } from '../shared/augment/index'
import { parsePipelineDocument } from '../shared/augment/spec'
import { analyzeGraph, getTemplate, GraphDocumentError, parseGraphDocument } from '../shared/graph/index'
import { decodeImage, ImageDecodeError } from '../main/datasets/decode'
import { encodeBmp } from '../main/datasets/bmp'
import { startStudio, type Studio } from '../main/studio'
import { compileGraph } from '../shared/tfjs/compile'
import { startWebHost } from '../main/web/server'

export type Outcome = 'accepted' | 'clearError' | 'crash' | 'hang'

export interface SurfaceReport {
  readonly surface: string
  inputs: number
  accepted: number
  clearErrors: number
  crashes: number
  hangs: number
  dataLost: number
  /** Per API channel (the API surface), inputs and outcomes. */
  perChannel?: Record<string, { inputs: number; accepted: number; clearErrors: number; crashes: number; hangs: number }>
  examples: string[]
  seconds: number
}

const MAX_EXAMPLES = 5

function report(surface: string): SurfaceReport {
  return { surface, inputs: 0, accepted: 0, clearErrors: 0, crashes: 0, hangs: 0, dataLost: 0, examples: [], seconds: 0 }
}

function shorten(value: unknown, max = 200): string {
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text
}

function count(r: SurfaceReport, outcome: Outcome, input: unknown, detail = ''): void {
  r.inputs++
  if (outcome === 'accepted') r.accepted++
  else if (outcome === 'clearError') r.clearErrors++
  else if (outcome === 'crash') r.crashes++
  else r.hangs++
  if ((outcome === 'crash' || outcome === 'hang') && r.examples.length < MAX_EXAMPLES) r.examples.push(`${outcome}: ${shorten(input)} -> ${detail}`)
}

const HANG = Symbol('hang')
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof HANG> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof HANG>((resolve) => (timer = setTimeout(() => resolve(HANG), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Uncaught exceptions and unhandled rejections while `run` runs (each one is a crash of the process). */
async function watchingProcess<T>(run: () => Promise<T>): Promise<{ value: T; uncaught: string[] }> {
  const uncaught: string[] = []
  const onError = (error: unknown) => uncaught.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)
  try {
    return { value: await run(), uncaught }
  } finally {
    process.off('uncaughtException', onError)
    process.off('unhandledRejection', onError)
  }
}

function integrityOk(studio: Studio): boolean {
  const rows = studio.db.pragma('integrity_check') as { integrity_check: string }[]
  return rows.length === 1 && rows[0]?.integrity_check === 'ok'
}

function classifyCall(result: CallResult | typeof HANG): { outcome: Outcome; detail: string } {
  if (result === HANG) return { outcome: 'hang', detail: 'no answer' }
  if (result.ok) return { outcome: 'accepted', detail: '' }
  const { code, message } = result.error
  if (code === 'internal' || typeof message !== 'string' || message.trim() === '') return { outcome: 'crash', detail: `${code}: ${message}` }
  return { outcome: 'clearError', detail: '' }
}

/** A temporary data folder with a studio in it, a project, a design and a pipeline (so ids 1.. exist). */
async function seededStudio(): Promise<{ studio: Studio; dir: string; dataDir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-studio-faults-'))
  const dataDir = join(dir, 'data')
  const studio = startStudio({ dataDir, host: 'browser' })
  const call = async (channel: string, payload: unknown) => {
    const r = await studio.services.call(channel, payload)
    if (!r.ok) throw new Error(`seeding ${channel}: ${r.error.message}`)
    return r.value as { id: number }
  }
  const project = await call('studio:projects.create', { name: 'Fault campaign' })
  await call('studio:architectures.create', { projectId: project.id, name: 'LeNet', document: baseGraph() })
  await call('studio:pipelines.create', { projectId: project.id, name: 'Flip', document: basePipeline() })
  await call('studio:runs.create', { projectId: project.id, name: 'r', config: {} }).catch(() => undefined)
  return {
    studio,
    dir,
    dataDir,
    cleanup: () => {
      studio.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generators shared by the surfaces

const baseGraph = () => getTemplate('lenet5')!.build([32, 32, 1], 10)
const basePipeline = () => ({ format: 1, steps: [createStep('horizontalFlip', 'flip'), createStep('cutout', 'cut'), createStep('randomResizedCrop', 'crop')] })

/** Odd scalar values that trip up validators: edge numbers, odd strings. */
const oddScalar = fc.oneof(
  fc.constantFrom(0, -0, 1, 2, 3, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 1e-300, '', ' ', '\0', '1', 'null', '__proto__', 'constructor', '%E0%A4%A', '../..', true, false, null),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double(),
)
const anyJson = fc.oneof({ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) }, { weight: 2, arbitrary: oddScalar })

type JsonPath = (string | number)[]
function pathsOf(value: unknown, prefix: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(prefix)
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out))
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out)
  return out
}

type Mutation = { at: number; action: 'set' | 'delete' | 'duplicate' | 'stringify' | 'wrap'; value: unknown }
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  action: fc.constantFrom('set', 'set', 'delete', 'duplicate', 'stringify', 'wrap'),
  value: anyJson,
})

/** Applies mutations to a deep copy of `base`: replace a value, drop a key, duplicate an array entry... */
function mutate(base: unknown, mutations: readonly Mutation[]): unknown {
  let doc = structuredClone(base) as unknown
  for (const m of mutations) {
    const paths = pathsOf(doc)
    const path = paths[m.at % paths.length]!
    if (path.length === 0) {
      if (m.action === 'set') doc = m.value
      continue
    }
    let parent = doc as Record<string | number, unknown>
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
    const key = path[path.length - 1]!
    const current = parent[key]
    if (m.action === 'set') parent[key] = m.value
    else if (m.action === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1)
      else delete parent[key]
    } else if (m.action === 'duplicate' && Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(current))
    else if (m.action === 'stringify') parent[key] = JSON.stringify(current) ?? 'undefined'
    else if (m.action === 'wrap') parent[key] = [current]
  }
  return doc
}

/** A document generator: arbitrary JSON, a mutated valid document, or its JSON text (whole, cut, garbled). */
function documents(base: () => unknown): fc.Arbitrary<unknown> {
  const text = JSON.stringify(base())
  return fc.oneof(
    { weight: 1, arbitrary: anyJson },
    { weight: 5, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(base(), ms)) },
    { weight: 1, arbitrary: fc.nat({ max: text.length }).map((n) => text.slice(0, n)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat({ max: text.length }), fc.string({ minLength: 1, maxLength: 8 })).map(([n, s]) => text.slice(0, n) + s + text.slice(n + s.length)),
    },
  )
}

// ---------------------------------------------------------------------------------------------------------
// Surface: every API channel's payload, through the ServiceHost

function fieldNames(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as Record<string, unknown>) : []
}

/** Paths given to path-taking methods: never a real folder outside the campaign's own temp folder. */
function pathValues(dir: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom('', ' ', 'relative/folder', '.', '..', 'a\0b', `${dir}/../x`, `${dir}/missing`, `${dir}/file.txt`, `${dir}/empty`, `${dir}/loop`, `${dir}/\u00e9t\u00e9`, `${dir}/${'x'.repeat(300)}`),
    fc.string({ maxLength: 20 }).map((s) => `${dir}/missing/${s.replace(/\0/g, '')}`),
    anyJson.filter((v) => typeof v !== 'string'),
  )
}

function payloads(schema: z.ZodType, dir: string): fc.Arbitrary<unknown> {
  const fields = fieldNames(schema)
  const key = fc.oneof({ weight: 4, arbitrary: fields.length ? fc.constantFrom(...fields) : fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) })
  const valueFor = (k: string) => (k === 'path' || k === 'folder' ? pathValues(dir) : k === 'document' ? fc.oneof(documents(baseGraph), documents(basePipeline)) : anyJson)
  const nearObject = fc
    .uniqueArray(key, { maxLength: Math.max(4, fields.length + 2) })
    .chain((keys) => fc.tuple(...keys.map((k) => valueFor(k))).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))))
  return fc.oneof({ weight: 1, arbitrary: anyJson }, { weight: 4, arbitrary: nearObject })
}

export async function apiCampaign(options: { runsPerChannel: number; seed: number; timeoutMs?: number }): Promise<SurfaceReport> {
  const r = report('api channels (ServiceHost, every contract)')
  r.perChannel = {}
  const started = Date.now()
  const { studio, dir, cleanup } = await seededStudio()
  mkdirSync(join(dir, 'empty'))
  writeFileSync(join(dir, 'file.txt'), 'not a folder')
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'))
  const quiet = silenceConsoleError()
  // The engines' detection (a Python importing torch: seconds, a minute on a loaded machine) runs once and is
  // cached; do it before the clock starts, so a slow import is not counted as a hang of the API.
  await studio.services.call(methodChannel('engines', 'list'), {})
  try {
    const { uncaught } = await watchingProcess(async () => {
      for (const [service, contract] of Object.entries(contracts)) {
        for (const [name, spec] of Object.entries(contract.methods)) {
          const channel = methodChannel(contract.name ?? service, name)
          const per = (r.perChannel![channel] = { inputs: 0, accepted: 0, clearErrors: 0, crashes: 0, hangs: 0 })
          const inputs = fc.sample(payloads(spec.input, dir), { numRuns: options.runsPerChannel, seed: options.seed + hash(channel) })
          for (const payload of inputs) {
            const result = await withTimeout(studio.services.call(channel, payload), options.timeoutMs ?? 10_000)
            const { outcome, detail } = classifyCall(result)
            count(r, outcome, { channel, payload }, detail)
            per.inputs++
            per[outcome === 'clearError' ? 'clearErrors' : outcome === 'accepted' ? 'accepted' : outcome === 'crash' ? 'crashes' : 'hangs']++
            // An import that was accepted runs in the background: stop it again at once.
            if (result !== HANG && result.ok && channel.startsWith('studio:datasets.import')) {
              await studio.services.call('studio:datasets.cancel', { jobId: (result.value as { jobId: string }).jobId })
            }
          }
        }
      }
    })
    for (const u of uncaught) count(r, 'crash', 'process', u)
    if (!integrityOk(studio)) r.dataLost++
  } finally {
    quiet()
    cleanup()
  }
  r.seconds = (Date.now() - started) / 1000
  return r
}

function hash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return Math.abs(h)
}

/** The ServiceHost logs internal errors with console.error; the campaign counts them instead. */
function silenceConsoleError(): () => void {
  const original = console.error
  console.error = () => undefined
  return () => {
    console.error = original
  }
}

// ---------------------------------------------------------------------------------------------------------
// Surface: graph documents and pipeline documents (parse, analyse, import through the services)

export async function documentsCampaign(options: { runs: number; seed: number }): Promise<SurfaceReport[]> {
  const graph = report('graph documents (parseGraphDocument + analyzeGraph + architectures.create/save)')
  const pipeline = report('pipeline documents (parsePipelineDocument + pipelines.create/save)')
  const started = Date.now()
  const { studio, cleanup } = await seededStudio()
  const quiet = silenceConsoleError()
  try {
    const { uncaught } = await watchingProcess(async () => {
      for (const doc of fc.sample(documents(baseGraph), { numRuns: options.runs, seed: options.seed })) {
        let outcome: Outcome
        let detail = ''
        try {
          const parsed = parseGraphDocument(doc)
          analyzeGraph(parsed)
          outcome = 'accepted'
        } catch (error) {
          const clear = error instanceof GraphDocumentError && error.message.trim() !== ''
          outcome = clear ? 'clearError' : 'crash'
          detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        }
        const viaService = classifyCall(await withTimeout(studio.services.call('studio:architectures.save', { id: 1, document: doc }), 10_000))
        if (viaService.outcome !== outcome && (viaService.outcome === 'crash' || viaService.outcome === 'hang')) {
          outcome = viaService.outcome
          detail = `architectures.save: ${viaService.detail}`
        }
        count(graph, outcome, doc, detail)
      }
      for (const doc of fc.sample(documents(basePipeline), { numRuns: options.runs, seed: options.seed + 1 })) {
        let outcome: Outcome
        let detail = ''
        try {
          const result = parsePipelineDocument(doc)
          if (result.ok) outcome = 'accepted'
          else if (result.errors.length > 0 && result.errors.every((i) => i.message.trim() !== '')) outcome = 'clearError'
          else {
            outcome = 'crash'
            detail = `refused without a message: ${shorten(result.errors)}`
          }
        } catch (error) {
          outcome = 'crash'
          detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        }
        const viaService = classifyCall(await withTimeout(studio.services.call('studio:pipelines.save', { id: 1, document: doc }), 10_000))
        if (viaService.outcome === 'crash' || viaService.outcome === 'hang') {
          outcome = viaService.outcome
          detail = `pipelines.save: ${viaService.detail}`
        } else if (viaService.outcome !== outcome) {
          detail = `parsePipelineDocument said ${outcome}, pipelines.save said ${viaService.outcome}`
          outcome = 'crash'
        }
        count(pipeline, outcome, doc, detail)
      }
    })
    for (const u of uncaught) count(graph, 'crash', 'process', u)
    if (!integrityOk(studio)) graph.dataLost++
  } finally {
    quiet()
    cleanup()
  }
  graph.seconds = pipeline.seconds = (Date.now() - started) / 1000
  return [graph, pipeline]
}

// ---------------------------------------------------------------------------------------------------------
// Surface: dataset files (decode, and a folder import)

export interface ImageSeeds {
  readonly png: Buffer
  readonly jpeg: Buffer
  readonly webp: Buffer
  readonly gif: Buffer
  readonly bmp: Buffer
  /** A PNG declaring 12000x12000 gray pixels (144 M, over the decoder's limit) in ~140 KB of zeros. */
  readonly pngBomb: Buffer
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const out = Buffer.alloc(8 + data.length + 4)
  out.writeUInt32BE(data.length, 0)
  body.copy(out, 4)
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length)
  return out
}

/** A PNG with the given declared size (8-bit gray) and the given IDAT contents: a valid file around them. */
function pngWith(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 0
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))])
}

export async function imageSeeds(): Promise<ImageSeeds> {
  const w = 12
  const h = 9
  const pixels = Buffer.alloc(w * h * 3)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256
  const img = () => sharp(pixels, { raw: { width: w, height: h, channels: 3 } })
  const rgba = Buffer.alloc(w * h * 4)
  for (let i = 0; i < w * h; i++) pixels.copy(rgba, i * 4, i * 3, i * 3 + 3), (rgba[i * 4 + 3] = 255)
  const side = 12_000
  // Deflate of all-zero scanlines: 144 MB of pixels from one repeated block.
  const bombData = deflateSync(Buffer.alloc((side + 1) * side), { level: 9 })
  return {
    png: await img().png().toBuffer(),
    jpeg: await img().jpeg({ quality: 90 }).toBuffer(),
    webp: await img().webp({ lossless: true }).toBuffer(),
    gif: await img().gif().toBuffer(),
    bmp: encodeBmp({ width: w, height: h, channels: 4, data: rgba }),
    pngBomb: pngWith(side, side, bombData),
  }
}

const FORMATS = ['png', 'jpeg', 'webp', 'gif', 'bmp'] as const
const EXT: Record<(typeof FORMATS)[number], string> = { png: 'png', jpeg: 'jpg', webp: 'webp', gif: 'gif', bmp: 'bmp' }

/** Declares huge dimensions in an otherwise intact file (where the format keeps them at a fixed place). */
function hugeDimensions(format: (typeof FORMATS)[number], bytes: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(bytes)
  if (format === 'png') {
    out.writeUInt32BE(width, 16)
    out.writeUInt32BE(height, 20)
    out.writeUInt32BE(crc32(out.subarray(12, 29)) >>> 0, 29)
  } else if (format === 'gif') {
    out.writeUInt16LE(Math.min(width, 0xffff), 6)
    out.writeUInt16LE(Math.min(height, 0xffff), 8)
  } else if (format === 'bmp') {
    out.writeInt32LE(Math.min(width, 0x7fffffff), 18)
    out.writeInt32LE(Math.min(height, 0x7fffffff), 22)
  } else if (format === 'jpeg') {
    for (let i = 2; i < out.length - 9; i++) {
      if (out[i] === 0xff && out[i + 1] === 0xc0) {
        out.writeUInt16BE(Math.min(height, 0xffff), i + 5)
        out.writeUInt16BE(Math.min(width, 0xffff), i + 7)
        break
      }
    }
  } else if (format === 'webp') {
    // VP8L: 14-bit width-1 and height-1 after the signature byte at 21.
    const w = Math.min(width, 16384) - 1
    const hh = Math.min(height, 16384) - 1
    const bits = (w & 0x3fff) | ((hh & 0x3fff) << 14) | (out.readUInt32LE(21) & ~0x0fffffff)
    out.writeUInt32LE(bits >>> 0, 21)
  }
  return out
}

export interface BadFile {
  readonly name: string
  readonly bytes: Buffer
  readonly kind: string
}

/** Corrupt dataset files made from intact seeds: truncated, garbled, zeroed, huge dimensions, bombs, wrong extension. */
export function badFiles(seeds: ImageSeeds): fc.Arbitrary<BadFile> {
  const format = fc.constantFrom(...FORMATS)
  const cut = fc.tuple(format, fc.double({ min: 0, max: 0.98, noNaN: true })).map(([f, at]) => {
    const b = seeds[f]
    return { name: `cut.${EXT[f]}`, bytes: b.subarray(0, Math.floor(b.length * at)), kind: 'truncated' }
  })
  const garble = fc.tuple(format, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 })).map(([f, edits]) => {
    const b = Buffer.from(seeds[f])
    for (const [at, v] of edits) b[at % b.length] = v
    return { name: `garbled.${EXT[f]}`, bytes: b, kind: 'corrupt bytes' }
  })
  const header = fc.tuple(format, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([f, tail]) => {
    const b = Buffer.from(seeds[f].subarray(0, 12))
    return { name: `header-only.${EXT[f]}`, bytes: Buffer.concat([b, Buffer.from(tail)]), kind: 'header then garbage' }
  })
  const huge = fc.tuple(format, fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 0x7fffffff })).map(([f, w, h]) => ({
    name: `huge.${EXT[f]}`,
    bytes: hugeDimensions(f, seeds[f], w, h),
    kind: 'huge declared dimensions',
  }))
  const wrongExt = fc.tuple(format, format).filter(([a, b]) => a !== b).map(([content, ext]) => ({ name: `really-${content}.${EXT[ext]}`, bytes: seeds[content], kind: 'wrong extension' }))
  const zero = format.map((f) => ({ name: `empty.${EXT[f]}`, bytes: Buffer.alloc(0), kind: 'zero bytes' }))
  const noise = fc.tuple(format, fc.uint8Array({ minLength: 1, maxLength: 512 })).map(([f, b]) => ({ name: `noise.${EXT[f]}`, bytes: Buffer.from(b), kind: 'random bytes' }))
  const text = fc.tuple(format, fc.string({ minLength: 1, maxLength: 100 })).map(([f, s]) => ({ name: `text.${EXT[f]}`, bytes: Buffer.from(s), kind: 'text file' }))
  const bomb = fc.constant({ name: 'bomb.png', bytes: seeds.pngBomb, kind: 'decompression bomb' })
  return fc.oneof(
    { weight: 4, arbitrary: cut },
    { weight: 4, arbitrary: garble },
    { weight: 2, arbitrary: header },
    { weight: 3, arbitrary: huge },
    { weight: 2, arbitrary: wrongExt },
    { weight: 1, arbitrary: zero },
    { weight: 2, arbitrary: noise },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: bomb },
  )
}

export async function decodeCampaign(options: { runs: number; seed: number; timeoutMs?: number }): Promise<SurfaceReport> {
  const r = report('dataset files (decodeImage: PNG/JPEG/BMP/GIF/WebP, corrupt, huge, bombs, empty, wrong extension)')
  const started = Date.now()
  const seeds = await imageSeeds()
  const files = fc.sample(badFiles(seeds), { numRuns: options.runs, seed: options.seed })
  const { uncaught } = await watchingProcess(async () => {
    for (const file of files) {
      const attempt = decodeImage(file.bytes, file.name, { height: 8, width: 8, channels: 3, aspect: 'resize' }).then(
        () => ({ outcome: 'accepted' as Outcome, detail: '' }),
        (error: unknown) =>
          error instanceof ImageDecodeError && error.reason.trim() !== ''
            ? { outcome: 'clearError' as Outcome, detail: '' }
            : { outcome: 'crash' as Outcome, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
      )
      const result = await withTimeout(attempt, options.timeoutMs ?? 20_000)
      const { outcome, detail } = result === HANG ? { outcome: 'hang' as Outcome, detail: 'no answer' } : result
      count(r, outcome, { kind: file.kind, name: file.name, bytes: file.bytes.length, head: file.bytes.subarray(0, 32).toString('hex') }, detail)
    }
  })
  for (const u of uncaught) count(r, 'crash', 'process', u)
  r.seconds = (Date.now() - started) / 1000
  return r
}

/**
 * A folder import with good and bad files mixed: the import ends `ready`, every good file is in, every other
 * file is either in (a corruption the decoder could still read) or listed as skipped with a reason.
 */
export async function folderImportCampaign(options: { badFiles: number; goodPerClass: number; seed: number }): Promise<SurfaceReport> {
  const r = report('dataset folder import (datasets.import with bad files mixed in)')
  const started = Date.now()
  const { studio, dir, cleanup } = await seededStudio()
  try {
    const seeds = await imageSeeds()
    const folder = join(dir, 'images')
    const classes = ['cats', 'dogs']
    const good = new Set<string>()
    for (const c of classes) {
      mkdirSync(join(folder, c), { recursive: true })
      for (let i = 0; i < options.goodPerClass; i++) {
        const f = FORMATS[i % FORMATS.length]!
        const name = `${c}/good${i}.${EXT[f]}`
        writeFileSync(join(folder, name), seeds[f])
        good.add(name)
      }
    }
    const bad = fc.sample(badFiles(seeds), { numRuns: options.badFiles, seed: options.seed })
    const badNames = new Map<string, BadFile>()
    bad.forEach((file, i) => {
      const name = `${classes[i % 2]}/bad${i}-${file.name}`
      writeFileSync(join(folder, name), file.bytes)
      badNames.set(name, file)
    })
    // Symbolic link loops (a folder linking to its parent, two links to each other, one to itself) and an
    // unreadable file (chmod 000; root, as here and in CI, reads it anyway, so it then counts as accepted or as
    // a bad image; tests/main/unreadable-as-user.test.ts imports unreadable files and folders as a user who truly
    // cannot read them): each must be skipped or reported, never followed forever.
    symlinkSync('..', join(folder, 'cats', 'up-loop'))
    symlinkSync(join(folder, 'dogs', 'ping'), join(folder, 'dogs', 'pong'))
    symlinkSync(join(folder, 'dogs', 'pong'), join(folder, 'dogs', 'ping'))
    symlinkSync(join(folder, 'cats', 'self.png'), join(folder, 'cats', 'self.png'))
    const loops = ['cats/up-loop', 'dogs/ping', 'dogs/pong', 'cats/self.png']
    writeFileSync(join(folder, 'cats', 'unreadable.png'), seeds.png)
    chmodSync(join(folder, 'cats', 'unreadable.png'), 0o000)
    const finished = new Promise<{ status: string; message?: string; datasetId: number }>((resolve) => {
      studio.services.onEvent((channel, payload) => {
        if (channel === 'studio:datasets.onDidFinish') resolve(payload as { status: string; datasetId: number })
      })
    })
    const start = await studio.services.call('studio:datasets.import', { path: folder, name: 'Mixed', size: { height: 8, width: 8 }, channels: 3, projectId: 1 })
    if (!start.ok) throw new Error(`import refused: ${start.error.message}`)
    const end = await withTimeout(finished, 120_000)
    if (end === HANG) {
      for (const [name, file] of badNames) count(r, 'hang', { name, kind: file.kind }, 'the import did not finish')
      return r
    }
    if (end.status !== 'ready') {
      for (const [name, file] of badNames) count(r, 'crash', { name, kind: file.kind }, `import ${end.status}: ${end.message ?? ''}`)
      r.dataLost += good.size
      return r
    }
    const detail = await studio.services.call('studio:datasets.get', { id: end.datasetId })
    if (!detail.ok) throw new Error(detail.error.message)
    const d = detail.value as { itemCount: number; skipped: { path: string; reason: string }[] }
    const skipped = new Map(d.skipped.map((s) => [s.path, s.reason]))
    for (const name of good) if (skipped.has(name)) r.dataLost++
    // The loops: reported (skipped, not followed) with a reason, or simply not walked into (a folder's parent).
    const reported = new Map([...d.skipped, ...((d as { notFollowed?: { path: string; reason: string }[] }).notFollowed ?? [])].map((s) => [s.path, s.reason]))
    for (const name of loops) {
      const reason = reported.get(name)
      // Not reported: not walked into (a loop followed would import images twice: itemCount below catches it).
      if (reason === undefined) count(r, 'accepted', { name, kind: 'symlink loop' })
      else if (reason.trim() === '') count(r, 'crash', { name, kind: 'symlink loop' }, 'reported without a reason')
      else count(r, 'clearError', { name, kind: 'symlink loop' })
    }
    {
      const reason = skipped.get('cats/unreadable.png')
      count(r, reason === undefined || reason.trim() !== '' ? (reason === undefined ? 'accepted' : 'clearError') : 'crash', { name: 'cats/unreadable.png', kind: 'unreadable (chmod 000; root reads it)' })
    }
    for (const [name, file] of badNames) {
      const reason = skipped.get(name)
      if (reason === undefined) count(r, 'accepted', { name, kind: file.kind })
      else if (reason.trim() !== '') count(r, 'clearError', { name, kind: file.kind })
      else count(r, 'crash', { name, kind: file.kind }, 'skipped without a reason')
    }
    const imported = good.size + r.accepted - loops.filter((n) => !reported.has(n)).length
    if (d.itemCount !== imported) {
      r.dataLost += Math.abs(d.itemCount - imported)
      r.examples.push(`itemCount ${d.itemCount}, expected ${imported} (good ${good.size} + readable bad ${r.accepted})`)
    }
    if (!integrityOk(studio)) r.dataLost++
  } finally {
    cleanup()
  }
  r.seconds = (Date.now() - started) / 1000
  return r
}

// ---------------------------------------------------------------------------------------------------------
// Surface: TF.js model folders for import (models.importFolder)

interface ModelFolderFault {
  readonly kind: string
  /** model.json as written (an object is stringified). */
  readonly json: unknown
  /** Weight files: name -> bytes; a name missing from the manifest's files is a missing file. */
  readonly files: Record<string, Uint8Array>
}

/** A valid model folder's parts: LeNet-sized design compiled and saved as TF.js does (two weight shards). */
async function modelFolderSeed(): Promise<{ json: Record<string, unknown>; shards: [Uint8Array, Uint8Array] }> {
  const { model } = compileGraph(getTemplate('toy-convnet')!.build([12, 12, 1], 3), { seed: 1 })
  let seed: { json: Record<string, unknown>; shards: [Uint8Array, Uint8Array] } | null = null
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = new Uint8Array(a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData))
      const half = Math.floor(data.length / 2)
      seed = {
        json: { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: a.weightSpecs }] },
        shards: [data.slice(0, half), data.slice(half)],
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  model.dispose()
  return seed!
}

/** Malformed model.json (mutated, cut, garbled), missing or short weight files, wrong weight shapes and dtypes. */
function modelFolderFaults(seed: { json: Record<string, unknown>; shards: [Uint8Array, Uint8Array] }): fc.Arbitrary<ModelFolderFault> {
  const files = { 'group1-shard1of2.bin': seed.shards[0], 'group1-shard2of2.bin': seed.shards[1] }
  const specs = () => structuredClone((seed.json.weightsManifest as { weights: { name: string; shape: number[]; dtype: string }[] }[])[0]!.weights)
  const withSpecs = (weights: unknown) => ({ ...seed.json, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights }] })
  return fc.oneof(
    { weight: 4, arbitrary: documents(() => structuredClone(seed.json)).map((json) => ({ kind: 'malformed model.json', json, files })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('group1-shard1of2.bin', 'group1-shard2of2.bin').map((missing) => ({
        kind: 'missing weight file',
        json: seed.json,
        files: Object.fromEntries(Object.entries(files).filter(([n]) => n !== missing)),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.nat({ max: seed.shards[1].length }).map((n) => ({ kind: 'short weight file', json: seed.json, files: { ...files, 'group1-shard2of2.bin': seed.shards[1].slice(0, n) } })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat({ max: 50 }), fc.array(fc.integer({ min: -2, max: 64 }), { minLength: 0, maxLength: 5 })).map(([i, shape]) => {
        const w = specs()
        w[i % w.length]!.shape = shape
        return { kind: 'wrong weight shape', json: withSpecs(w), files }
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat({ max: 50 }), fc.constantFrom('int32', 'bool', 'complex64', 'string', 'float16', '')).map(([i, dtype]) => {
        const w = specs()
        w[i % w.length]!.dtype = dtype
        return { kind: 'wrong weight dtype', json: withSpecs(w), files }
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('../outside.bin', '/etc/passwd', 'sub/../../x.bin', 'a\0b', '', 'missing.bin').map((path) => ({
        kind: 'manifest path outside the folder or missing',
        json: { ...seed.json, weightsManifest: [{ paths: [path], weights: specs() }] },
        files,
      })),
    },
  )
}

export async function modelFolderCampaign(options: { runs: number; seed: number; timeoutMs?: number }): Promise<SurfaceReport> {
  const r = report('TF.js model folders for import (models.importFolder: malformed model.json, missing/short weights, wrong shapes)')
  const started = Date.now()
  const { studio, dir, cleanup } = await seededStudio()
  const quiet = silenceConsoleError()
  try {
    const seed = await modelFolderSeed()
    const faults = fc.sample(modelFolderFaults(seed), { numRuns: options.runs, seed: options.seed })
    const designs = () => (studio.db.prepare('SELECT COUNT(*) AS n FROM architectures').get() as { n: number }).n
    const { uncaught } = await watchingProcess(async () => {
      for (const [i, fault] of faults.entries()) {
        const folder = join(dir, `model-${i}`)
        mkdirSync(folder)
        writeFileSync(join(folder, 'model.json'), typeof fault.json === 'string' ? fault.json : (JSON.stringify(fault.json) ?? ''))
        for (const [name, bytes] of Object.entries(fault.files)) writeFileSync(join(folder, name), bytes)
        const before = designs()
        const result = await withTimeout(studio.services.call('studio:models.importFolder', { path: folder, projectId: 1 }), options.timeoutMs ?? 20_000)
        const { outcome, detail } = classifyCall(result)
        count(r, outcome, { kind: fault.kind, json: fault.json }, detail)
        // Refused: nothing written (no design, no run).
        if (outcome !== 'accepted' && designs() !== before) r.dataLost++
        rmSync(folder, { recursive: true, force: true })
      }
    })
    for (const u of uncaught) count(r, 'crash', 'uncaught', u)
    if (!integrityOk(studio)) r.dataLost++
  } finally {
    quiet()
    cleanup()
  }
  r.seconds = (Date.now() - started) / 1000
  return r
}

// ---------------------------------------------------------------------------------------------------------
// Surface: the browser host's HTTP paths, headers and bodies (raw requests over TCP to a real host)

interface RawRequest {
  readonly method: string
  readonly path: string
  readonly headers: readonly (readonly [string, string])[]
  readonly body: string
  readonly contentLength: 'exact' | 'none' | 'short' | 'garbage'
}

/** Channels the HTTP campaign may call with the token: all but the ones that read or write outside folders. */
function httpChannels(): string[] {
  const out: string[] = []
  for (const contract of Object.values(contracts)) {
    for (const name of Object.keys(contract.methods)) {
      const channel = methodChannel(contract.name, name)
      if (!/datasets\.import|models\.importFolder|runs\.exportModel/.test(channel)) out.push(channel)
    }
  }
  return out
}

export function rawRequests(port: number, token: string): fc.Arbitrary<RawRequest> {
  const piece = fc.oneof(
    fc.constantFrom('%', '%E0', '%E0%A4%A', '%A', '%ZZ', '%00', '%2e%2e', '%2F', '..', '.', '/', '//', '\\', '?', '#', '%C0%AF', '%FF', 'index.html', 'files', 'api', 'events', 'datasets', '3', 'images.u8', '~', ';', '@'),
    fc.string({ maxLength: 6 }),
  )
  const channels = httpChannels()
  const junkPath = fc.array(piece, { maxLength: 8 }).map((parts) => `/${parts.join('')}`)
  const path = fc.oneof(
    { weight: 2, arbitrary: junkPath },
    { weight: 5, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...channels), fc.string({ maxLength: 30 })), fc.boolean()).map(([c, enc]) => `${WEB_HOST.apiPrefix}${enc ? encodeURIComponent(c) : c}`) },
    { weight: 1, arbitrary: junkPath.map((p) => `${WEB_HOST.apiPrefix}${p.slice(1)}`) },
    { weight: 2, arbitrary: junkPath.map((p) => `${WEB_HOST.filesPrefix}${p.slice(1)}`) },
    { weight: 1, arbitrary: fc.constantFrom('/', '/index.html', '/%E0%A4%A', '/%E0', WEB_HOST.eventsPath, '*', 'http://127.0.0.1/', `http://evil.example${WEB_HOST.apiPrefix}x`, '', '/../../etc/passwd', `${WEB_HOST.filesPrefix}datasets/3/images.u8`) },
  )
  const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'POST', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) })
  const headerValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', ' ', '\u00ff', 'null', 'a'.repeat(2000)))
  const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad })
  const headers = fc.record({
    host: mostly(fc.constantFrom(`127.0.0.1:${port}`, `127.0.0.1:${port}`, `localhost:${port}`), fc.oneof(fc.constantFrom('evil.example', '', `127.0.0.1:${port}@evil`), headerValue)),
    token: mostly(fc.constant(token), fc.oneof(fc.constantFrom(`${token}x`, token.slice(1), ''), headerValue)),
    origin: mostly(fc.constantFrom(null, null, `http://127.0.0.1:${port}`), fc.oneof(fc.constantFrom('http://evil.example', 'null'), headerValue)),
    fetchSite: mostly(fc.constantFrom(null, 'same-origin', 'none'), fc.constantFrom('cross-site', 'same-site', 'garbage')),
    contentType: mostly(fc.constantFrom(null, 'application/json'), fc.constantFrom('text/plain', 'multipart/form-data; boundary=x', '\u0000')),
    extra: mostly(
      fc.constant([] as [string, string][]),
      fc.array(fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('Transfer-Encoding', 'Upgrade', 'Connection', 'Expect', 'Range', 'If-None-Match', 'X-Forwarded-Host')), headerValue), { minLength: 1, maxLength: 3 }),
    ),
  })
  const body = fc.oneof(
    fc.constant(''),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '{"a":', '[1,2', 'null', '"x"', '{"__proto__":{"polluted":1}}', `{"name":"${'n'.repeat(5000)}"}`, '\u0000\u0001'),
  )
  return fc
    .tuple(method, path, headers, body, fc.constantFrom('exact', 'exact', 'exact', 'none', 'short', 'garbage'))
    .map(([m, p, h, b, contentLength]) => {
      const list: [string, string][] = []
      if (h.host !== '') list.push(['Host', h.host])
      if (h.token !== '') list.push([WEB_HOST.tokenHeader, h.token])
      if (h.origin !== null) list.push(['Origin', h.origin])
      if (h.fetchSite !== null) list.push(['Sec-Fetch-Site', h.fetchSite])
      if (h.contentType !== null) list.push(['Content-Type', h.contentType])
      for (const [k, v] of h.extra) list.push([k, v])
      return { method: m, path: p, headers: list, body: b, contentLength }
    })
}

function encodeRequest(req: RawRequest): Buffer {
  const body = Buffer.from(req.body)
  const lines = [`${req.method} ${req.path} HTTP/1.1`, ...req.headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close']
  if (req.contentLength === 'exact') lines.push(`Content-Length: ${body.length}`)
  else if (req.contentLength === 'short') lines.push(`Content-Length: ${Math.floor(body.length / 2)}`)
  else if (req.contentLength === 'garbage') lines.push('Content-Length: 12abc')
  // 'none': the body is sent without a length (read as the next request, or ignored)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body])
}

/** Sends one raw request; resolves with the status code of the answer (0: the connection closed unanswered). */
function send(port: number, bytes: Buffer, timeoutMs: number): Promise<number | 'hang'> {
  return new Promise((resolve) => {
    let data = ''
    let done = false
    const finish = (value: number | 'hang') => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes))
    const timer = setTimeout(() => finish('hang'), timeoutMs)
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data)
      if (m && data.includes('\r\n\r\n')) finish(Number(m[1]))
    })
    socket.on('error', () => finish(0))
    socket.on('close', () => finish(0))
  })
}

export async function httpCampaign(options: { runs: number; seed: number; timeoutMs?: number }): Promise<SurfaceReport> {
  const r = report('browser host HTTP (paths, headers, bodies; raw requests to 127.0.0.1)')
  const started = Date.now()
  const { studio, dir, dataDir, cleanup } = await seededStudio()
  const rendererDir = join(dir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<html><head></head><body>studio</body></html>')
  mkdirSync(join(dataDir, 'datasets', '3'), { recursive: true })
  writeFileSync(join(dataDir, 'datasets', '3', 'images.u8'), Buffer.from([7, 8, 9]))
  const web = await startWebHost({ services: studio.services, rendererDir, dataDir })
  const quiet = silenceConsoleError()
  try {
    const requests = fc.sample(rawRequests(web.port, web.token), { numRuns: options.runs, seed: options.seed })
    const { uncaught } = await watchingProcess(async () => {
      for (const req of requests) {
        const status = await send(web.port, encodeRequest(req), options.timeoutMs ?? 5_000)
        const input = { method: req.method, path: req.path, headers: req.headers, body: req.body.slice(0, 80), contentLength: req.contentLength }
        if (status === 'hang') count(r, 'hang', input, 'no answer')
        else if (status === 0) count(r, 'crash', input, 'connection closed without an answer')
        else if (status >= 500) count(r, 'crash', input, `HTTP ${status}`)
        else if (status >= 400) count(r, 'clearError', input)
        else count(r, 'accepted', input)
      }
    })
    for (const u of uncaught) count(r, 'crash', 'process', u)
    // Still serving: the page and an API call with the token answer.
    const page = await send(web.port, Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nConnection: close\r\n\r\n`), 5_000)
    const list = await fetch(new URL(`${WEB_HOST.apiPrefix}${encodeURIComponent('studio:projects.list')}`, web.url), {
      method: 'POST',
      headers: { [WEB_HOST.tokenHeader]: web.token, 'Content-Type': 'application/json' },
      body: '{}',
    })
    if (page !== 200 || list.status !== 200) count(r, 'crash', 'after the campaign', `page ${page}, api ${list.status}: the host stopped serving`)
    if (!integrityOk(studio)) r.dataLost++
  } finally {
    quiet()
    await web.close()
    cleanup()
  }
  r.seconds = (Date.now() - started) / 1000
  return r
}

/** Number from an environment variable, or the default. */
export function envRuns(name: string, fallback: number): number {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback
}

export const CAMPAIGN_SEED = envRuns('FAULTS_SEED', 20261201)

