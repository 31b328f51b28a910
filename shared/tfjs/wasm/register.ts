/**
 * Registers the training kernels missing from tfjs-backend-wasm 4.22 for backend 'wasm'.
 *
 * Runtime-neutral: no Node builtins, no DOM.
 */
import { Conv2DBackpropInput, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs'
import { wasmConvGradKernelConfigs } from './conv-grad-kernels'
import { wasmMaxPoolGradKernelConfig, wasmTileKernelConfig } from './heap-kernels'
import {
  reductionHandles,
  wasmMeanKernelConfig,
  wasmSumKernelConfig,
} from './reduce-kernels'
import { WASM_BACKEND_NAME } from './kernel-scope'
import { batchMatMulHandles, wasmBatchMatMulKernelConfig } from './matmul-kernels'
import { registerWasmGradients, wasmBatchNormGradKernelConfig, wasmSquareGradKernelConfig } from './grad-kernels'
import { wasmAdamUpdateKernelConfig } from './optimizer-kernels'
import { registerWasmBatchNormLayer, wasmBatchNormTrainKernelConfigs } from './batchnorm-kernels'

export interface RegisterWasmTrainingKernelsOptions {
  /**
   * tfjs-backend-wasm 4.22 already has a (naive, loop-based, NHWC+NCHW) Conv2DBackpropInput.
   * When true (default) it is replaced for NHWC by the XNNPACK-convolution-based version from
   * this module (about 9x faster on a 64x28x28x32 layer); NCHW calls are still delegated to the
   * original kernel.
   */
  replaceConv2DBackpropInput?: boolean
  /**
   * tfjs-backend-wasm 4.22's native MaxPoolGrad is wrong for windows holding only negative
   * values. When true (default) it is replaced by a CPU-backend-exact version.
   */
  replaceMaxPoolGrad?: boolean
  /**
   * When true (default) the native element-wise Tile is replaced by a block-copy version
   * (string tensors still go to the native kernel). tfjs' BatchNorm gradient tiles
   * per-channel statistics, which made Tile the most expensive kernel of a CNN step.
   */
  replaceTile?: boolean
  /**
   * When true (default) the native Sum/Mean are replaced for float32 reductions of a contiguous
   * block of non-innermost axes (BatchNorm's per-channel [0,1,2], bias gradients, global average
   * pooling's [1,2]) by a one-pass heap loop; the native ones run a full Transpose first.
   * Other calls still go to the native kernels.
   */
  replaceReductions?: boolean
  /**
   * When true (default) the native BatchMatMul is replaced for float32 products with a transposed
   * operand (every Dense layer's gradients) by native Transposes around the untransposed XNNPACK
   * path; the native kernel runs those in a scalar loop. Untransposed calls still go to the native one.
   */
  replaceBatchMatMul?: boolean
  /**
   * When true (default) tfjs' gradients of FusedBatchNorm (BatchNorm layers), Mean, Sum and Square run,
   * on 'wasm' only, as one kernel each (a one-pass per-channel BatchNorm gradient; a Tile broadcast)
   * instead of a dozen element-wise ops and reductions. Other backends keep tfjs' gradients.
   */
  replaceGradients?: boolean
  /**
   * When true (default) tf.layers' BatchNormalization, in training on 'wasm', computes its statistics, output and
   * gradient in one kernel each (batchnorm-kernels.ts) instead of tf.moments, FusedBatchNorm and their gradients.
   */
  replaceBatchNormTraining?: boolean
}

export interface RegisterWasmTrainingKernelsResult {
  /** Kernel names registered (added or replaced) by this call; empty when already done. */
  registered: string[]
  /** Kernel names that the WASM backend already provides and that were left untouched. */
  skipped: string[]
  /** Kernel names whose gradient this call wrapped (see `replaceGradients`); empty when already done. */
  gradients: string[]
  /** Whether this call made tf.layers' BatchNormalization take the fused training kernels (`replaceBatchNormTraining`). */
  batchNormLayer: boolean
}

/** Marker so that a second call (or a hot-reloaded module copy) is a no-op. */
const MARK = '__cnnStudioWasmTrainingKernel'

type MarkedKernelConfig = KernelConfig & { [MARK]?: true }

function isOurs(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config as MarkedKernelConfig)[MARK] === true
}

interface Entry {
  config: KernelConfig
  /** Replace an existing (native) kernel of the same name? */
  replace: (o: RegisterWasmTrainingKernelsOptions) => boolean
  /** Calls that must still go to the native kernel. */
  delegateToNative?: (attrs: NamedAttrMap, inputs: NamedTensorInfoMap) => boolean
}

const ENTRIES: readonly Entry[] = [
  ...wasmConvGradKernelConfigs.map(
    (config): Entry =>
      config.kernelName === Conv2DBackpropInput
        ? {
            config,
            replace: (o) => o.replaceConv2DBackpropInput ?? true,
            delegateToNative: (attrs) => attrs['dataFormat'] === 'NCHW',
          }
        : { config, replace: () => false },
  ),
  { config: wasmMaxPoolGradKernelConfig, replace: (o) => o.replaceMaxPoolGrad ?? true },
  { config: wasmTileKernelConfig, replace: (o) => o.replaceTile ?? true, delegateToNative: (_a, inputs) => inputs['x']?.dtype === 'string' },
  { config: wasmSumKernelConfig, replace: (o) => o.replaceReductions ?? true, delegateToNative: (a, i) => !reductionHandles(a, i) },
  { config: wasmMeanKernelConfig, replace: (o) => o.replaceReductions ?? true, delegateToNative: (a, i) => !reductionHandles(a, i) },
  { config: wasmBatchMatMulKernelConfig, replace: (o) => o.replaceBatchMatMul ?? true, delegateToNative: (a, i) => !batchMatMulHandles(a, i) },
  { config: wasmBatchNormGradKernelConfig, replace: () => false },
  { config: wasmSquareGradKernelConfig, replace: () => false },
  { config: wasmAdamUpdateKernelConfig, replace: () => false },
  ...wasmBatchNormTrainKernelConfigs.map((config): Entry => ({ config, replace: () => false })),
]

/**
 * Registers for backend 'wasm': Conv2DBackpropFilter (XNNPACK products, conv-gemm-kernels.ts), DepthwiseConv2dNativeBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput (missing in tfjs-backend-wasm 4.22), and replaces
 * Conv2DBackpropInput (NHWC; faster), MaxPoolGrad (correctness), Tile, Sum, Mean and
 * transposed BatchMatMul (speed), see the options.
 *
 * Idempotent. Can be called before or after the WASM backend is initialised (the new kernels
 * have no setup function; replaced kernels keep the native setup so delegation works).
 * Importing '@tensorflow/tfjs-backend-wasm' is the caller's business (see `initWasmBackend`).
 */
export function registerWasmTrainingKernels(
  options: RegisterWasmTrainingKernelsOptions = {},
): RegisterWasmTrainingKernelsResult {
  const registered: string[] = []
  const skipped: string[] = []
  for (const { config, replace, delegateToNative } of ENTRIES) {
    const existing = getKernel(config.kernelName, WASM_BACKEND_NAME)
    if (isOurs(existing)) continue
    if (existing === undefined) {
      registerMarked(config)
    } else if (!replace(options)) {
      skipped.push(config.kernelName)
      continue
    } else {
      const native = existing
      const ours = config.kernelFunc
      const kernelFunc: KernelFunc =
        delegateToNative === undefined
          ? ours
          : (args) => (delegateToNative(args.attrs ?? {}, args.inputs) ? native.kernelFunc(args) : ours(args))
      unregisterKernel(config.kernelName, WASM_BACKEND_NAME)
      registerMarked({ ...config, kernelFunc, setupFunc: native.setupFunc, disposeFunc: native.disposeFunc })
    }
    registered.push(config.kernelName)
  }
  const gradients = (options.replaceGradients ?? true) ? registerWasmGradients() : []
  const batchNormLayer = (options.replaceBatchNormTraining ?? true) ? registerWasmBatchNormLayer() : false
  return { registered, skipped, gradients, batchNormLayer }
}

function registerMarked(config: KernelConfig): void {
  const marked: MarkedKernelConfig = { ...config, [MARK]: true }
  registerKernel(marked)
}

/** Names of the kernels this module provides or replaces for 'wasm'. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = ENTRIES.map((e) => e.config.kernelName)
