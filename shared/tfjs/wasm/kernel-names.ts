/**
 * Names (and attributes) of the studio's own kernels that code outside shared/tfjs/wasm runs by name.
 * TF.js-free, so that importing a name pulls no TF.js into a bundle (shared/train's optimizer kinds are
 * also used on the UI thread).
 */

/** Fused Adam update (shared/tfjs/wasm/optimizer-kernels.ts): inputs w, g, m, v; outputs [w', m', v']. */
export const ADAM_UPDATE = 'StudioAdamUpdate'

/**
 * Largest variable (elements) the fused Adam update is used for. Measured under load with bench/kernels.ts adam
 * (interleaved): on ResNet-20's 65 small variables the fused kernel is ~2x faster (kernel launches dominate); on
 * the bench CNN's 401k-weight Dense kernel the native SIMD element-wise kernels win over the JS loop.
 */
export const ADAM_UPDATE_MAX_SIZE = 65536

export interface AdamUpdateAttrs {
  beta1: number
  beta2: number
  epsilon: number
  /** Effective learning rate of this update. */
  lr: number
  /** Number of this update, from 1. */
  t: number
}
