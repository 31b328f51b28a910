/**
 * Names (and attributes) of the studio's own kernels that code outside shared/tfjs/wasm runs by name.
 * TF.js-free, so that importing a name pulls no TF.js into a bundle (shared/train's optimizer kinds are
 * also used on the UI thread).
 */

/** Fused Adam update (shared/tfjs/wasm/optimizer-kernels.ts): inputs w, g, m, v; outputs [w', m', v']. */
export const ADAM_UPDATE = 'StudioAdamUpdate'

export interface AdamUpdateAttrs {
  beta1: number
  beta2: number
  epsilon: number
  /** Effective learning rate of this update. */
  lr: number
  /** Number of this update, from 1. */
  t: number
}
