/** Batched TF.js apply of the photometric kinds (spec part: ../kinds/color.ts). */
import * as tf from '@tensorflow/tfjs'
import type { AugmentApplyFn } from '../types'
import { hsvToRgb, perSample, rgbToGray, rgbToHsv, selectApplied } from '../ops'
import type { ColorJitterParams, ColorJitterSample, GrayscaleParams } from '../kinds/color'

const clip01 = (t: tf.Tensor4D) => tf.clipByValue(t, 0, 1) as tf.Tensor4D

export const applyColorJitter: AugmentApplyFn<ColorJitterParams, ColorJitterSample> = ({ images, labels }, _p, samples, ctx) => {
  const pick = (f: (s: ColorJitterSample) => number, identity: number) =>
    samples.map((s) => (s.applied ? f(s) : identity))
  const brightness = pick((s) => s.brightness, 1)
  const contrast = pick((s) => s.contrast, 1)
  const saturation = pick((s) => s.saturation, 1)
  const hue = pick((s) => s.hue, 0)
  const rgb = ctx.channels === 3
  let x = images
  if (brightness.some((v) => v !== 1)) x = clip01(tf.mul(x, perSample(brightness)))
  if (contrast.some((v) => v !== 1)) {
    const grey = rgb ? rgbToGray(x) : x
    const mean = tf.mean(grey, [1, 2, 3], true)
    const c = perSample(contrast)
    x = clip01(tf.add(tf.mul(x, c), tf.mul(mean, tf.sub(1, c))))
  }
  if (rgb && saturation.some((v) => v !== 1)) {
    const s = perSample(saturation)
    x = clip01(tf.add(tf.mul(x, s), tf.mul(rgbToGray(x), tf.sub(1, s))))
  }
  if (rgb && hue.some((v) => v !== 0)) {
    const [h, s, v] = rgbToHsv(x)
    const shifted = tf.add(h, perSample(hue))
    x = clip01(hsvToRgb(tf.sub(shifted, tf.floor(shifted)) as tf.Tensor4D, s, v))
  }
  return { images: selectApplied(samples, x, images), labels }
}

export const applyGrayscale: AugmentApplyFn<GrayscaleParams, Record<string, never>> = ({ images, labels }, _p, samples, ctx) => {
  if (ctx.channels !== 3) return { images, labels }
  const grey = tf.tile(rgbToGray(images), [1, 1, 1, 3]) as tf.Tensor4D
  return { images: selectApplied(samples, grey, images), labels }
}
