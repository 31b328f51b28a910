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

/** The Fit project's runs: every table column filled, the widest values a real run gives (two seeds per setting). */
export const FIT_RUNS = [
  { name: 'ResNet-20 baseline, random crop and flip', dataset: 'Clothing (10,000 grayscale)', architecture: 'ResNet-20', version: 12, params: 272_474, engine: 'tfjs', backend: 'wasm', optimizer: 'adamw', lr: 0.001, batch: 128, epochs: 30, seed: 1, best: 0.9234, loss: 0.212_345, durationMs: 3_725_000, tags: ['baseline', 'augmented', 'long-run'] },
  { name: 'ResNet-20 baseline, random crop and flip (2)', dataset: 'Clothing (10,000 grayscale)', architecture: 'ResNet-20', version: 12, params: 272_474, engine: 'tfjs', backend: 'wasm', optimizer: 'adamw', lr: 0.001, batch: 128, epochs: 30, seed: 2, best: 0.9187, loss: 0.224_561, durationMs: 3_912_000, tags: ['baseline', 'augmented', 'long-run'] },
  { name: 'VGG-ish wide, torchrun on 2 GPUs', dataset: 'Clothing (10,000 grayscale)', architecture: 'VGG-style ConvNet', version: 3, params: 14_728_266, engine: 'pytorch', backend: 'pytorch-cuda', optimizer: 'sgd', lr: 0.1, batch: 256, epochs: 100, seed: 1, best: 0.9412, loss: 0.051_234, durationMs: 36_125_000, tags: ['ddp', 'pytorch'] },
  { name: 'VGG-ish wide, torchrun on 2 GPUs (2)', dataset: 'Clothing (10,000 grayscale)', architecture: 'VGG-style ConvNet', version: 3, params: 14_728_266, engine: 'pytorch', backend: 'pytorch-cuda', optimizer: 'sgd', lr: 0.1, batch: 256, epochs: 100, seed: 2, best: 0.9398, loss: 0.049_876, durationMs: 35_980_000, tags: ['ddp', 'pytorch'] },
] as const
