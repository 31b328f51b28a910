/**
 * Helpers to compose kernels of the TF.js WASM backend out of its own registered kernels,
 * working on raw `TensorInfo`s (no engine tensors, no tape), with explicit disposal.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { getKernel } from '@tensorflow/tfjs'
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'

export const WASM_BACKEND_NAME = 'wasm'

/** Runs the kernel `name` registered for the WASM backend directly on `backend`. */
export function runWasmKernel(
  backend: KernelBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(name, WASM_BACKEND_NAME)
  if (config === undefined) {
    throw new Error(`wasm training kernels: required kernel '${name}' is not registered for backend 'wasm'`)
  }
  const out = config.kernelFunc({ inputs, attrs, backend })
  if (Array.isArray(out)) {
    throw new Error(`wasm training kernels: kernel '${name}' returned ${out.length} outputs, expected one`)
  }
  return out
}

/**
 * Owns the intermediate TensorInfos created while computing one kernel. Everything run
 * through the scope is disposed by `dispose()` except what was handed out with `keep()`.
 */
export class KernelScope {
  private readonly owned: TensorInfo[] = []

  constructor(readonly backend: KernelBackend) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = runWasmKernel(this.backend, name, inputs, attrs)
    this.owned.push(out)
    return out
  }

  /** Reshape (the WASM Reshape kernel shares the data and bumps its ref count). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (sameShape(x.shape, shape)) return x
    return this.run('Reshape', { x }, { shape })
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    if (perm.every((p, i) => p === i)) return x
    return this.run('Transpose', { x }, { perm })
  }

  /** Slices `[begin, begin+size)`; no-op when the slice is the whole tensor. */
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && sameShape(x.shape, size)) return x
    return this.run('Slice', { x }, { begin, size })
  }

  /** Removes `t` from the set of intermediates so that `dispose()` leaves it alive. */
  keep(t: TensorInfo): TensorInfo {
    // A kept info may be an input (no-op paths); only owned ones are tracked.
    const i = this.owned.indexOf(t)
    if (i >= 0) this.owned.splice(i, 1)
    return t
  }

  dispose(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId)
    this.owned.length = 0
  }
}

/**
 * Runs `fn` with a fresh scope. The returned TensorInfo is kept; if it is one of the kernel's
 * inputs (a no-op path), it is copied with Identity so the kernel always returns fresh data.
 */
export function withKernelScope(
  backend: KernelBackend,
  inputs: readonly TensorInfo[],
  fn: (scope: KernelScope) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend)
  try {
    let out = fn(scope)
    if (inputs.some((t) => t.dataId === out.dataId)) {
      out = runWasmKernel(backend, 'Identity', { x: out })
    } else {
      scope.keep(out)
    }
    return out
  } finally {
    scope.dispose()
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}
