/**
 * TF.js WASM backend as a CPU training backend: convolution gradient kernels that
 * tfjs-backend-wasm 4.22 lacks, plus an init helper. Runtime-neutral (no Node builtins, no DOM).
 */
export { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from './register'
export type { RegisterWasmTrainingKernelsOptions, RegisterWasmTrainingKernelsResult } from './register'
export { initWasmBackend, wasmThreadsPolicy } from './init'
export type { InitWasmBackendOptions, InitWasmBackendResult, WasmBinaryName } from './init'
export { wasmConvGradKernelConfigs } from './conv-grad-kernels'
export { wasmMaxPoolGradKernelConfig, wasmTileKernelConfig } from './heap-kernels'
export { KernelScope, runWasmKernel, withKernelScope, WASM_BACKEND_NAME } from './kernel-scope'
