/**
 * Comparing runs (pure TypeScript): hyperparameter diff of config snapshots (config-diff.ts), classification
 * metrics from a confusion matrix or predictions (metrics.ts), metric-series helpers (series.ts: best
 * direction, min/max downsampling, EMA smoothing), curves of many runs on one axis (curves.ts: alignment, min/max
 * per pixel column, group bands), the Pareto front of a trade-off plot (pareto.ts), two evaluations compared
 * (confusion-diff.ts), Markdown export (markdown.ts) and snapshot reading (snapshot.ts). The architecture diff is
 * in shared/graph/diff.ts.
 */
export * from './config-diff'
export * from './confusion-diff'
export * from './curves'
export * from './markdown'
export * from './metrics'
export * from './pareto'
export * from './series'
export * from './snapshot'
