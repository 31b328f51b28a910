/** Backend names and labels, without importing TF.js (the UI thread never loads it). */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_ORDER)[number]

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
}

export interface BackendProbe {
  readonly backend: BackendName | null
  readonly adapter: string | null
  readonly tried: { readonly backend: BackendName; readonly error: string | null }[]
}
