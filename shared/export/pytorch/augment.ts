/**
 * Export part: `augment.py` (the studio's augmentation kinds in PyTorch, sample-then-apply) and `studio_random.py`
 * (the studio's generator, for the same draws). The per-kind tolerance of PyTorch's output against the studio's
 * for the same sampled parameters lives here, in one place: tests/shared/export/pytorch-augment.test.ts checks it
 * and the README section prints it.
 */
import type { AugmentKind, AugmentKindSpec } from '../../augment/spec-only'
import { AUGMENT_KINDS, augmentSpecRegistry, composableKinds } from '../../augment/spec-only'
import type { PytorchExportPart } from './part'
import { AUGMENT_PY } from './augment-py'
import { randomFile } from './random'

export interface KindTolerance {
  /** Max abs difference of the output pixels (and labels), [0, 1] pixel units, same sampled parameters. */
  readonly tolerance: number
  /** Where and why the two can differ. */
  readonly note: string
}

const ROUNDING = 'float32 rounding only (same formula, same operation order)'

/** Per kind except the compositions. */
const PLAIN_TOLERANCES: { readonly [K in Exclude<AugmentKind, 'randAugment'>]: KindTolerance } = {
  horizontalFlip: { tolerance: 0, note: 'exact (a permutation of pixels)' },
  verticalFlip: { tolerance: 0, note: 'exact (a permutation of pixels)' },
  randomResizedCrop: {
    tolerance: 1e-6,
    note:
      'nearest: exact; bilinear: the studio\'s tf.image.cropAndResize (align-corners sampling, box corners rounded to float32) ' +
      'reproduced in float64 and rounded to float32 (torchvision\'s resized_crop samples half-pixel centres and antialiases, so it is not used)',
  },
  randomCrop: { tolerance: 0, note: 'exact (integer window of the padded image, constant or reflect padding)' },
  rotation: {
    tolerance: 1e-5,
    note: 'the studio\'s warpAffine (output-to-input matrix about the pixel centre, fill outside) in float32; bilinear: float32 rounding of the sampling positions and weights; nearest: ties round half to even on both sides',
  },
  translation: { tolerance: 0, note: 'exact (whole-pixel shift, fill value)' },
  colorJitter: { tolerance: 1e-5, note: `${ROUNDING}: brightness, contrast (image mean grey), saturation, HSV hue; clipped to [0, 1] after each` },
  grayscale: { tolerance: 1e-6, note: `${ROUNDING}: luma 0.299 R + 0.587 G + 0.114 B` },
  cutout: { tolerance: 0, note: 'exact (boxes set to the fill value)' },
  mixup: { tolerance: 1e-6, note: `${ROUNDING}: images and soft labels` },
  cutmix: { tolerance: 1e-6, note: 'images exact; soft labels float32 rounding' },
  normalize: { tolerance: 1e-6, note: ROUNDING },
}

/** The kinds RandAugment can draw (the registry's own list), with their tolerances. */
const RAND_AUGMENT_OPS = composableKinds(augmentSpecRegistry as unknown as Record<string, AugmentKindSpec>) as (keyof typeof PLAIN_TOLERANCES)[]

/** Per kind: how close PyTorch's output is to the studio's (TF.js CPU backend) for the same record. */
export const AUGMENT_TOLERANCES: { readonly [K in AugmentKind]: KindTolerance } = {
  ...PLAIN_TOLERANCES,
  randAugment: {
    tolerance: Math.max(...RAND_AUGMENT_OPS.map((k) => PLAIN_TOLERANCES[k].tolerance)),
    note: `the max of its ops' tolerances (${RAND_AUGMENT_OPS.join(', ')}): each image's ops applied in its drawn order, at the ops' own params for magnitude M`,
  },
}

function tableRow(kind: AugmentKind): string {
  const t = AUGMENT_TOLERANCES[kind]
  return `| ${kind} | ${t.tolerance === 0 ? '0 (exact)' : t.tolerance.toExponential(0)} | ${t.note} |`
}

export function augmentReadme(): string {
  return [
    '## Augmentation (augment.py)',
    '',
    'Every studio kind, with the studio\'s parameter ranges and semantics. Each training batch is sampled first ' +
      '(`sample_pipeline(seed, pipeline, ctx, step)`: the studio\'s own generator, ported in `studio_random.py`, with ' +
      'the same streams, so the same seed and step draw the same parameters as the studio) and then applied ' +
      '(`apply_pipeline`, batched torch ops on NCHW images in [0, 1]). Mixup and CutMix produce soft labels; validation ' +
      'and test apply only the normalize steps. Under torchrun, rank r of world size W draws batch `step * W + r`.',
    '',
    'Max abs difference from the studio\'s output for the same sampled parameters (checked by the studio\'s tests):',
    '',
    '| kind | tolerance | where it can differ |',
    '| --- | --- | --- |',
    ...AUGMENT_KINDS.map(tableRow),
    '',
  ].join('\n')
}

export const augmentPart: PytorchExportPart = {
  id: 'augment',
  files: () => [{ path: 'augment.py', text: AUGMENT_PY }, randomFile()],
  readme: augmentReadme,
  requirements: ['torch>=1.13', 'numpy'],
}
