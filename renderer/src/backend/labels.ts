/** Backend names and labels, without importing TF.js (the UI thread never loads it). */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_ORDER)[number]

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
}

/** A run's backend column in words: TF.js backends by their label, the PyTorch engine's device (`pytorch-cuda`: CUDA). */
export function backendWords(v: unknown): string {
  if (v === 'auto') return 'Auto'
  if (typeof v === 'string' && v in BACKEND_LABELS) return BACKEND_LABELS[v as BackendName]
  if (v === 'pytorch-cpu') return 'CPU'
  if (v === 'pytorch-cuda') return 'CUDA'
  return v === null || v === undefined || v === '' ? '—' : String(v)
}

export interface BackendProbe {
  readonly backend: BackendName | null
  readonly adapter: string | null
  readonly tried: { readonly backend: BackendName; readonly error: string | null }[]
}
