/**
 * Comparing runs (pure TypeScript): hyperparameter diff of config snapshots (config-diff.ts), classification
 * metrics from a confusion matrix or predictions (metrics.ts), metric-series helpers (series.ts: best
 * direction, min/max downsampling) and snapshot reading (snapshot.ts). The architecture diff is in
 * shared/graph/diff.ts.
 */
export * from './config-diff'
export * from './metrics'
export * from './series'
export * from './snapshot'
