/** Custom tfjs layers. Importing this module registers them with tf.serialization (needed to load saved models). */
export { GroupNormalization, InstanceNormalization } from './groupNorm'
