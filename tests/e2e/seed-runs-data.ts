/** What tests/e2e/seed-runs.ts records, for the specs to check against (no imports: specs load it). */

/** The Seeds project's runs: learning rate, seed, best val/acc (reached at epoch 4). */
export const SEED_RUNS = [
  { lr: 0.01, seed: 1, best: 0.81 },
  { lr: 0.01, seed: 2, best: 0.84 },
  { lr: 0.01, seed: 3, best: 0.9 },
  { lr: 0.1, seed: 1, best: 0.62 },
  { lr: 0.1, seed: 2, best: 0.7 },
  { lr: 0.1, seed: 3, best: 0.66 },
] as const
