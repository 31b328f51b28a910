/**
 * TF.js WASM backend as a CPU training backend. Runtime-neutral (no Node builtins, no DOM).
 *
 * tfjs-backend-wasm 4.22 cannot train a CNN: Conv2DBackpropFilter and both depthwise backprop
 * kernels are missing, its MaxPoolGrad is wrong for all-negative windows, and its
 * Conv2DBackpropInput / Tile / per-channel Sum and Mean are slow. `registerWasmTrainingKernels()` fixes all of that with
 * kernels composed from the backend's own XNNPACK convolutions (or tight heap loops).
 *
 * Usage (Node: resolve the binaries from node_modules in Node-side code and pass them in):
 *   import '@tensorflow/tfjs-backend-wasm'
 *   await initWasmBackend({ wasmPaths: `${dir}/node_modules/@tensorflow/tfjs-backend-wasm/dist/` })
 * Browser/renderer: pass the URLs your bundler emits for the three .wasm files (a prefix or a
 * file map). `initWasmBackend` registers the kernels, applies the threads policy (half the
 * logical cores where the threaded binary can run) and activates 'wasm'. Or call
 * `registerWasmTrainingKernels()` yourself before/after `tf.setBackend('wasm')`.
 */
export { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from './register'
export type { RegisterWasmTrainingKernelsOptions, RegisterWasmTrainingKernelsResult } from './register'
export { initWasmBackend, wasmThreadsPolicy } from './init'
export type { InitWasmBackendOptions, InitWasmBackendResult, WasmBinaryName } from './init'
export { wasmConvGradKernelConfigs } from './conv-grad-kernels'
export { wasmMaxPoolGradKernelConfig, wasmTileKernelConfig } from './heap-kernels'
export { wasmMeanKernelConfig, wasmSumKernelConfig } from './reduce-kernels'
export { wasmBatchMatMulKernelConfig } from './matmul-kernels'
export { wasmAdamUpdateKernelConfig } from './optimizer-kernels'
export { ADAM_UPDATE, ADAM_UPDATE_MAX_SIZE } from './kernel-names'
export type { AdamUpdateAttrs } from './kernel-names'
export { BATCH_NORM_GRAD, registerWasmGradients, SQUARE_GRAD, wasmBatchNormGradKernelConfig, wasmSquareGradKernelConfig } from './grad-kernels'
export { KernelScope, runWasmKernel, withKernelScope, WASM_BACKEND_NAME } from './kernel-scope'
export { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, FUSED_BATCH_NORM, registerWasmBatchNormLayer, wasmBatchNormTrainKernelConfigs } from './batchnorm-kernels'
