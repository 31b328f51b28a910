/**
 * The training procedure of the lectures, as runtime-neutral tools (the app's worker and the `studio` CLI run
 * the same code): sanity checks (initial loss ~ ln C, regularization raises the loss, overfit a tiny subset),
 * learning-rate sweep and range test, coarse-to-fine random search with a resumable state, curve diagnosis,
 * the initialization lab with update ratios, and transfer-learning helpers.
 */
export * from './steps'
export * from './sanity'
export * from './lr-sweep'
export * from './search'
export * from './diagnose'
export * from './init-lab'
export * from './transfer'
