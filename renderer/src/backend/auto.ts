/**
 * Which TF.js backend trains fastest here: the studio's "Auto" rule, pure (no TF.js, no DOM) so it is unit-tested.
 *
 * - No WebGPU adapter (or WebGPU fails to start): WASM (CPU if WASM fails too).
 * - A software WebGPU adapter (SwiftShader, llvmpipe, Microsoft Basic Render Driver, or one the browser marks as a
 *   fallback adapter) runs the GPU's shaders on the CPU, 50-200x slower than WASM for training: WASM.
 * - A hardware adapter: unclear (a small integrated GPU can lose to WASM on small nets), so a short timed probe
 *   trains a few steps of a small conv net on WebGPU and on WASM and the faster wins; its timings are cached per
 *   adapter (`probeKey`) so it is not re-run every launch. Until the probe has run, `probe: 'needed'`.
 *
 * WebGL is never chosen by Auto (WebGPU covers the same GPUs); the user can still ask for it.
 */
import type { BackendSetting } from '@shared/api'
import { BACKEND_LABELS, type BackendName } from './labels'

export { BACKEND_SETTINGS, type BackendSetting } from '@shared/api'

/** What `navigator.gpu.requestAdapter()` told about the adapter (GPUAdapterInfo, isFallbackAdapter). */
export interface AdapterFacts {
  readonly isFallbackAdapter?: boolean
  readonly vendor?: string
  readonly architecture?: string
  readonly device?: string
  readonly description?: string
}

export interface BackendFacts {
  /** The WebGPU adapter, null when there is none or WebGPU did not start (`webgpuError` says why). */
  readonly webgpu: AdapterFacts | null
  readonly webgpuError?: string | null
  /** Whether the WASM backend started here. */
  readonly wasm: boolean
}

/** A timed probe's result: milliseconds per training step after the first, null when it failed or ran out of time. */
export interface ProbeTimings {
  readonly webgpu: number | null
  readonly wasm: number | null
}

export interface BackendDecision {
  readonly backend: BackendName
  /** Why, in the user's words (shown in the status bar after "auto:"). */
  readonly reason: string
  /** 'needed': a hardware adapter and no probe timings yet (the backend is provisional); 'used': decided by timings. */
  readonly probe: 'none' | 'needed' | 'used'
}

const SOFTWARE_ADAPTERS: readonly [RegExp, string][] = [
  [/swift\s*shader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/softpipe/i, 'softpipe'],
  [/microsoft basic render/i, 'Microsoft Basic Render Driver'],
]

/** The software renderer behind `adapter` ("SwiftShader", ...; "fallback adapter" when only the flag says so), or null for a hardware adapter. */
export function softwareAdapter(adapter: AdapterFacts): string | null {
  const text = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' ')
  for (const [pattern, name] of SOFTWARE_ADAPTERS) if (pattern.test(text)) return name
  return adapter.isFallbackAdapter === true ? 'fallback adapter' : null
}

/** One line naming the adapter ("google swiftshader"), or null when the browser tells nothing. */
export function adapterLabel(adapter: AdapterFacts | null): string | null {
  if (!adapter) return null
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || null
}

/** The key probe timings are cached under: the same adapter on the same machine gets the same key. */
export function probeKey(facts: BackendFacts, logicalCores: number): string {
  const a = facts.webgpu
  return ['v1', a ? [a.vendor, a.architecture, a.device, a.description].map((s) => s ?? '').join('|') : 'no-webgpu', `cores=${logicalCores}`].join(';')
}

const ratio = (slow: number, fast: number) => (fast > 0 ? slow / fast : Infinity)
const times = (x: number) => (x >= 10 ? `${Math.round(x)}x` : `${x.toFixed(1)}x`)

/** The Auto rule (see the module comment). `timings`: the cached or fresh probe for this adapter, if any. */
export function decideAuto(facts: BackendFacts, timings?: ProbeTimings | null): BackendDecision {
  const cpuOr = (backend: BackendName, reason: string): BackendDecision =>
    facts.wasm || backend !== 'wasm' ? { backend, reason, probe: 'none' } : { backend: 'cpu', reason: `${reason}; WASM did not start either`, probe: 'none' }
  if (!facts.webgpu) {
    return cpuOr('wasm', facts.webgpuError ? `WebGPU did not start (${facts.webgpuError})` : 'no WebGPU adapter here')
  }
  const software = softwareAdapter(facts.webgpu)
  if (software !== null) return cpuOr('wasm', `software WebGPU adapter (${software}), WASM is faster here`)
  if (!facts.wasm) return { backend: 'webgpu', reason: 'hardware WebGPU adapter (WASM did not start)', probe: 'none' }
  if (!timings) return { backend: 'webgpu', reason: 'hardware WebGPU adapter, measuring which trains faster…', probe: 'needed' }
  const { webgpu, wasm } = timings
  if (webgpu === null && wasm === null) return { backend: 'webgpu', reason: 'hardware WebGPU adapter (the speed probe failed on both)', probe: 'used' }
  if (webgpu === null) return { backend: 'wasm', reason: 'WebGPU did not finish the speed probe in time, WASM did', probe: 'used' }
  if (wasm === null || webgpu <= wasm) {
    const by = wasm === null ? 'WASM did not finish the speed probe' : `WebGPU trained ${times(ratio(wasm, webgpu))} faster than WASM in a speed probe`
    return { backend: 'webgpu', reason: by, probe: 'used' }
  }
  return { backend: 'wasm', reason: `WASM trained ${times(ratio(webgpu, wasm))} faster than WebGPU in a speed probe`, probe: 'used' }
}

/** The setting applied: Auto's decision, or the user's own choice. */
export function decideBackend(setting: BackendSetting, facts: BackendFacts, timings?: ProbeTimings | null): BackendDecision {
  if (setting === 'auto') return decideAuto(facts, timings)
  return { backend: setting, reason: 'chosen in the backend setting', probe: 'none' }
}

/** The status bar's text: "WASM · 2 threads — auto: software WebGPU adapter (SwiftShader), WASM is faster here". */
export function backendStatusText(s: Pick<BackendStatus, 'setting' | 'backend' | 'reason' | 'adapter' | 'wasmThreads'>): string {
  if (s.backend === null) return `No TF.js backend available — ${s.reason}`
  const detail = s.backend === 'wasm' && s.wasmThreads !== null ? ` · ${s.wasmThreads} thread${s.wasmThreads === 1 ? '' : 's'}` : s.backend === 'webgpu' && s.adapter ? ` · ${s.adapter}` : ''
  const why = s.setting === 'auto' ? `auto: ${s.reason}` : s.backend === s.setting ? 'your choice' : `your choice (${BACKEND_LABELS[s.setting]}) failed: ${s.reason}`
  return `TF.js ${BACKEND_LABELS[s.backend]}${detail} — ${why}`
}

/** What the status bar shows and what the workers are told to start: the setting, the backend it gives here, and why. */
export interface BackendStatus {
  readonly setting: BackendSetting
  /** null: no backend works here. */
  readonly backend: BackendName | null
  readonly reason: string
  readonly adapter: string | null
  readonly wasmThreads: number | null
  /** True while Auto's speed probe runs (the backend is provisional). */
  readonly measuring: boolean
  readonly tried: readonly { readonly backend: BackendName; readonly error: string | null }[]
}

/**
 * The status for `setting` on a machine with these facts: Auto's decision, or the user's choice, or, when the
 * chosen backend is known not to start here (no WebGPU adapter, WASM failed), the one the workers will fall back to.
 */
export function backendStatus(
  setting: BackendSetting,
  facts: BackendFacts,
  extra: { readonly timings?: ProbeTimings | null; readonly wasmThreads: number | null; readonly measuring?: boolean; readonly tried?: BackendStatus['tried'] },
): BackendStatus {
  const base = { setting, adapter: adapterLabel(facts.webgpu), wasmThreads: facts.wasm ? extra.wasmThreads : null, measuring: extra.measuring ?? false, tried: extra.tried ?? [] }
  const decision = decideBackend(setting, facts, extra.timings)
  const missing = (b: BackendName) => (b === 'webgpu' && !facts.webgpu) || (b === 'wasm' && !facts.wasm)
  if (!missing(decision.backend)) return { ...base, backend: decision.backend, reason: decision.reason, measuring: base.measuring || decision.probe === 'needed' }
  const why = decision.backend === 'webgpu' ? (facts.webgpuError ? `WebGPU did not start (${facts.webgpuError})` : 'no WebGPU adapter here') : 'WASM did not start'
  const fallback = (['webgpu', 'webgl', 'wasm', 'cpu'] as const).find((b) => b !== decision.backend && !missing(b)) ?? null
  return { ...base, backend: fallback, reason: why, measuring: false }
}
