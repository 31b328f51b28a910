/**
 * Registers the training kernels missing from tfjs-backend-wasm 4.22 for backend 'wasm'.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs'
import { wasmConvGradKernelConfigs } from './conv-grad-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'

export interface RegisterWasmTrainingKernelsOptions {
  /**
   * tfjs-backend-wasm 4.22 already has a (naive, loop-based, NHWC+NCHW) Conv2DBackpropInput.
   * When true (default) it is replaced for NHWC by the XNNPACK-convolution-based version from
   * this module, which is much faster; NCHW calls are still delegated to the original kernel.
   */
  replaceConv2DBackpropInput?: boolean
}

export interface RegisterWasmTrainingKernelsResult {
  /** Kernel names registered by this call (empty when already registered). */
  registered: string[]
  /** Kernel names that were already provided by the WASM backend and left untouched. */
  skipped: string[]
}

/** Marker so that a second call (or a hot-reloaded module copy) is a no-op. */
const MARK = '__cnnStudioWasmTrainingKernel'

type MarkedKernelConfig = KernelConfig & { [MARK]?: true }

function isOurs(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config as MarkedKernelConfig)[MARK] === true
}

/**
 * Registers Conv2DBackpropFilter, Conv2DBackpropInput (NHWC override, see options),
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for backend 'wasm'.
 *
 * Idempotent. Can be called before or after the WASM backend is initialised (the kernels have
 * no setup function; they call the backend's own kernels at run time). Importing
 * '@tensorflow/tfjs-backend-wasm' is the caller's business (see `initWasmBackend`).
 */
export function registerWasmTrainingKernels(
  options: RegisterWasmTrainingKernelsOptions = {},
): RegisterWasmTrainingKernelsResult {
  const replaceInput = options.replaceConv2DBackpropInput ?? true
  const registered: string[] = []
  const skipped: string[] = []
  for (const config of wasmConvGradKernelConfigs) {
    const existing = getKernel(config.kernelName, WASM_BACKEND_NAME)
    if (isOurs(existing)) continue
    if (existing !== undefined) {
      if (config.kernelName !== 'Conv2DBackpropInput' || !replaceInput) {
        skipped.push(config.kernelName)
        continue
      }
      const native = existing
      const ours = config.kernelFunc
      const kernelFunc: KernelFunc = (args) => {
        const dataFormat = (args.attrs as NamedAttrMap | undefined)?.['dataFormat']
        if (dataFormat === 'NCHW') return native.kernelFunc(args)
        return ours(args)
      }
      unregisterKernel(config.kernelName, WASM_BACKEND_NAME)
      registerMarked({ ...config, kernelFunc, setupFunc: native.setupFunc, disposeFunc: native.disposeFunc })
    } else {
      registerMarked(config)
    }
    registered.push(config.kernelName)
  }
  return { registered, skipped }
}

function registerMarked(config: KernelConfig): void {
  const marked: MarkedKernelConfig = { ...config, [MARK]: true }
  registerKernel(marked)
}

/** Names of the kernels this module can provide for 'wasm'. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = wasmConvGradKernelConfigs.map((k) => k.kernelName)
