/**
 * The page's side of the backend choice: the facts of this machine (WebGPU adapter, WASM), detected once per page
 * in a worker, where training runs; the studio's backend setting applied to them (./auto.ts), with Auto's speed
 * probe run where the rule needs one and cached per adapter in the preferences. Training, evaluation, the
 * augmentation preview and the procedure tools ask `studioBackend()` which backend to start.
 */
import type { Preferences } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { reportError } from '../ui/dialogs'
import { backendStatus, probeKey, type BackendSetting, type BackendStatus, type ProbeTimings } from './auto'
import { installDiagnostics } from './diagnostics'
import type { BackendName } from './labels'
import { workerClient } from '../workers/client'
import { errorMessage } from '../workers/protocol'
import type { FactsReply, ProbeMethods } from './probe-protocol'

installDiagnostics()

/** Auto's speed probe: a few steps per backend, each backend stopped after this long (worker start included). */
const BENCH_STEPS = 5
const BENCH_BUDGET_MS = 1500
const BENCH_TIMEOUT_MS = 6000

// Each probe in its own worker, ended with its answer (a bench that hangs is terminated at its timeout).
const probeWorker = workerClient<ProbeMethods>((method) => new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module', name: `backend-${method}` }), {
  perCall: true,
  crashed: () => 'the probe worker failed',
})

let factsPending: Promise<FactsReply> | null = null

/** This machine's backend facts (once per page). */
export function backendFacts(): Promise<FactsReply> {
  return (factsPending ??= probeWorker.call('facts', {}).catch((error: unknown) => ({ facts: { webgpu: null, webgpuError: errorMessage(error), wasm: false }, wasmThreads: null, tried: [] })))
}

async function bench(backend: BackendName): Promise<number | null> {
  const reply = await probeWorker
    .call('bench', { backend, steps: BENCH_STEPS, budgetMs: BENCH_BUDGET_MS }, { timeoutMs: BENCH_TIMEOUT_MS })
    .catch((error: unknown) => ({ backend, msPerStep: null, error: errorMessage(error) }))
  if (reply.error) console.info(`CNN Studio: speed probe on ${backend}: ${reply.error}`)
  return reply.msPerStep
}

/** The speed probes known (the preferences' cache, plus this page's), by adapter key. */
let probes: Record<string, ProbeTimings> = {}
const measuring = new Map<string, Promise<ProbeTimings>>()

/** Runs Auto's speed probe for this adapter once per page and caches its timings in the preferences. */
function measure(key: string): Promise<ProbeTimings> {
  let p = measuring.get(key)
  if (!p) {
    p = (async () => {
      const timings: ProbeTimings = { webgpu: await bench('webgpu'), wasm: await bench('wasm') }
      probes = { ...probes, [key]: timings }
      api()
        .app.setPreferences({ backendProbe: { key, ...timings } })
        .catch(reportError)
      return timings
    })()
    measuring.set(key, p)
  }
  return p
}

/** `setting` applied to this machine; `publish` gets the provisional status while the speed probe runs. */
async function statusFor(setting: BackendSetting, publish?: (s: BackendStatus) => void): Promise<BackendStatus> {
  const { facts, wasmThreads, tried } = await backendFacts()
  const key = probeKey(facts, navigator.hardwareConcurrency)
  const first = backendStatus(setting, facts, { timings: probes[key] ?? null, wasmThreads, tried })
  if (!first.measuring) return first
  publish?.(first)
  return backendStatus(setting, facts, { timings: await measure(key), wasmThreads, tried })
}

let current: Promise<BackendStatus> | null = null
let generation = 0

/** Applies `prefs.backend` to this machine and publishes the result to the status bar. */
export function refreshBackend(prefs: Pick<Preferences, 'backend' | 'backendProbes'>): Promise<BackendStatus> {
  const mine = ++generation
  const publish = (s: BackendStatus) => {
    if (mine === generation) useApp.getState().setBackend(s)
  }
  probes = { ...prefs.backendProbes, ...probes }
  current = statusFor(prefs.backend, publish).then((s) => {
    publish(s)
    return s
  })
  return current
}

/** The backend the studio's setting gives here (what the workers are told to start). */
export function studioBackend(): Promise<BackendStatus> {
  return (current ??= api().app.getPreferences({}).then(refreshBackend))
}

/** What Auto gives here (a run that asked for Auto is resumed with Auto, whatever the setting is now). */
export async function autoBackend(): Promise<BackendStatus> {
  await studioBackend()
  return statusFor('auto')
}

/** The backend for a run's, a tool's or a request's choice: 'auto' by the Auto rule, any other as asked. */
export async function backendFor(choice: BackendSetting): Promise<{ backend: BackendName; reason: string }> {
  if (choice !== 'auto') return { backend: choice, reason: 'chosen by you' }
  const s = await autoBackend()
  return { backend: s.backend ?? 'cpu', reason: `auto: ${s.reason}` }
}

/** Changes the studio's backend setting (saved in the preferences) and applies it. */
export async function changeBackendSetting(backend: BackendSetting): Promise<BackendStatus> {
  const prefs = await api().app.setPreferences({ backend })
  return refreshBackend(prefs)
}
