export { Rng, createRng } from './rng'
export type { RngState, Seed } from './rng'
export { cyrb128, splitmix32 } from './hash'
