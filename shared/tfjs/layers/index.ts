/**
 * Custom tfjs layers, registered through one map: `CUSTOM_LAYERS` (TF.js class name -> class) is what the
 * compiler hands the layer registry (`TfjsContext.custom`, built with `customLayer`), and every class in it is
 * registered with tf.serialization (needed to load saved models). A new custom layer = its class here + an entry.
 */
import * as tf from '@tensorflow/tfjs'
import type { CustomLayerClass } from '../../graph/registry'
import { GroupNormalization, InstanceNormalization } from './groupNorm'

export { GroupNormalization, InstanceNormalization } from './groupNorm'

const CLASSES = [InstanceNormalization, GroupNormalization] as const

export const CUSTOM_LAYERS: ReadonlyMap<string, CustomLayerClass> = new Map(CLASSES.map((c) => [c.className, c as unknown as CustomLayerClass]))

for (const c of CLASSES) tf.serialization.registerClass(c)
