/**
 * CNN Studio graph core (pure TypeScript; no DOM, no Node, no tfjs at runtime).
 * Filled in below; see the report / docs for the complete API.
 */
import './layers'
export * from './types'
export * from './issues'
export * from './registry'
export * from './schema'
export * from './builder'
export * from './expand'
export * from './analyze'
export { INITIALIZERS, type InitializerName } from './layers'
export * from './blocks'
export * from './templates'
export * from './format'
export * from './ops'
export * from './history'
