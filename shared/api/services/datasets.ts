import { z } from 'zod'
import { defineService, method } from '../contract'
import { entityId } from './projects'

/**
 * Datasets: a library of images decoded once into a compact cache (N*H*W*C uint8, channels-last) at the chosen
 * training resolution, with a seeded, class-stratified train/val/test split and statistics of the training
 * split. Imports run as jobs: `import`/`importMnist` answer `{ jobId, datasetId }` at once, then report through
 * `onDidProgress` and end with one `onDidFinish`. A dataset is listed only once it is complete (`ready`); a
 * cancelled or failed import leaves nothing behind.
 *
 * The test split is locked: `readSplit` refuses it unless `allowTest: true` is passed explicitly, and callers
 * mark whatever they compute from it as evaluated on test.
 */

export const DATASET_SPLITS = ['train', 'val', 'test'] as const
export const splitSchema = z.enum(DATASET_SPLITS, { error: 'Split must be "train", "val" or "test"' })
export type DatasetSplit = z.infer<typeof splitSchema>

export const ASPECT_POLICIES = ['resize', 'center-crop', 'pad'] as const
export const aspectSchema = z.enum(ASPECT_POLICIES, { error: 'Aspect policy must be "resize", "center-crop" or "pad"' })
/** resize: stretch to the size; center-crop: scale to cover, then crop the centre; pad: scale to fit, black bars. */
export type AspectPolicy = z.infer<typeof aspectSchema>

export const MAX_IMAGE_SIDE = 1024

const side = (what: string) =>
  z
    .number({ error: `${what} must be a number of pixels` })
    .int(`${what} must be a whole number of pixels`)
    .min(1, `${what} must be at least 1 pixel`)
    .max(MAX_IMAGE_SIDE, `${what} must be at most ${MAX_IMAGE_SIDE} pixels`)

export const imageSizeSchema = z.object({ height: side('Height'), width: side('Width') })
export type ImageSize = z.infer<typeof imageSizeSchema>

export const channelsSchema = z.union([z.literal(1), z.literal(3)], { error: 'Channels must be 1 (grayscale) or 3 (RGB)' })

const ratio = (what: string) =>
  z.number({ error: `The ${what} ratio must be a number` }).min(0, `The ${what} ratio must be between 0 and 1`).max(1, `The ${what} ratio must be between 0 and 1`)

export const splitRatiosSchema = z
  .object({ train: ratio('train'), val: ratio('val'), test: ratio('test') })
  .refine((r) => Math.abs(r.train + r.val + r.test - 1) < 1e-6, {
    message: 'The train, val and test ratios must add up to 1',
  })
  .refine((r) => r.train > 0, { message: 'The train ratio must be above 0: a dataset needs training images', path: ['train'] })
export type SplitRatios = z.infer<typeof splitRatiosSchema>

export const DEFAULT_SPLIT: SplitRatios = { train: 0.8, val: 0.1, test: 0.1 }

export const seedSchema = z.number({ error: 'Seed must be a whole number' }).int('Seed must be a whole number').min(0, 'Seed must be 0 or more').max(0xffffffff, 'Seed must fit in 32 bits')

export const datasetName = z
  .string({ error: 'Dataset name must be text' })
  .trim()
  .min(1, 'Dataset name must not be empty')
  .max(120, 'Dataset name must be at most 120 characters')

export const jobId = z.string({ error: 'Job id must be text' }).min(1, 'Job id must not be empty').max(100)

export type DatasetStatus = 'importing' | 'ready'
export type DatasetSource = 'folder' | 'mnist'

/** Images per class, per split (arrays indexed by class). */
export interface SplitCounts {
  readonly train: number[]
  readonly val: number[]
  readonly test: number[]
}

export interface OriginalSizeStats {
  readonly minWidth: number
  readonly maxWidth: number
  readonly minHeight: number
  readonly maxHeight: number
  readonly meanWidth: number
  readonly meanHeight: number
  /** Images by their longer original side: `upTo` is the bucket's inclusive upper bound (null: larger). */
  readonly longerSide: { readonly upTo: number | null; readonly count: number }[]
}

export interface DatasetStats {
  readonly counts: SplitCounts
  readonly originalSizes: OriginalSizeStats
  /** Per-channel mean and population std of the training split, on values scaled to [0, 1]. */
  readonly mean: number[]
  readonly std: number[]
  /** Pixels per channel the mean/std were computed over. */
  readonly pixelCount: number
  /** Images that had an alpha channel, and the colour ("#rrggbb") their transparent pixels were filled with. */
  readonly transparency?: { readonly images: number; readonly background: string }
}

/** What a quick look at a folder found before its import (a sample of its images' headers). */
export interface FolderProbe {
  readonly classes: string[]
  readonly images: number
  /** Images whose header was read (up to 400, spread over the folder). */
  readonly checked: number
  /** Of those, images with an alpha channel (transparency). */
  readonly withAlpha: number
}

/** A file that looked like an image but could not be used, with the reason. */
export interface SkippedFile {
  /** Path relative to the imported folder, with `/` separators. */
  readonly path: string
  readonly reason: string
}

export interface DatasetSummary {
  readonly id: number
  readonly projectId: number | null
  readonly name: string
  readonly source: DatasetSource
  readonly sourcePath: string | null
  readonly status: DatasetStatus
  readonly size: ImageSize
  readonly channels: 1 | 3
  readonly aspect: AspectPolicy
  readonly classes: string[]
  readonly itemCount: number
  readonly createdAt: string
  /** Images per split (all classes). */
  readonly splitTotals: { readonly train: number; readonly val: number; readonly test: number }
}

export interface DatasetDetail extends DatasetSummary {
  readonly stats: DatasetStats | null
  readonly split: { readonly ratios: SplitRatios; readonly seed: number } | null
  /** Unreadable or corrupt images that were left out, with reasons. */
  readonly skipped: SkippedFile[]
  /** Symbolic links that were not followed (outside the folder, or a loop), with reasons. */
  readonly notFollowed: SkippedFile[]
  /** The cache file (N*H*W*C uint8, channels-last), relative to the data folder. */
  readonly cachePath: string | null
}

export interface DatasetSample {
  readonly idx: number
  readonly classIndex: number
  readonly className: string
  readonly split: DatasetSplit
  /** The original file, relative to the imported folder (null for built-in data). */
  readonly source: string | null
  /** `png`: base64 PNG at the cached resolution; `raw`: base64 of H*W*C uint8 (channels-last). */
  readonly data: string
}

export interface SamplePage {
  readonly total: number
  readonly offset: number
  readonly format: 'png' | 'raw'
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly items: DatasetSample[]
}

/** One page of a split, for training/evaluation over the API. */
export interface SplitBatch {
  readonly split: DatasetSplit
  /** Images in the split (all pages). */
  readonly total: number
  readonly offset: number
  /** Cache positions of the images in this page. */
  readonly indices: number[]
  readonly labels: number[]
  /** base64 of count*H*W*C uint8, channels-last, in the order of `indices` (empty without `withImages`). */
  readonly images: string
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  /** True when this page came from the locked test split (results must be marked as evaluated on test). */
  readonly fromTest: boolean
}

export const importProgressPhase = z.enum(['scanning', 'decoding', 'statistics', 'writing'])
export type ImportPhase = z.infer<typeof importProgressPhase>

const importCommon = {
  projectId: entityId.optional(),
  split: splitRatiosSchema.default(DEFAULT_SPLIT),
  seed: seedSchema.default(0),
}

export const datasetsContract = defineService(
  'datasets',
  {
    /** Starts importing an image folder (one subfolder per class); answers at once. */
    import: method<{ jobId: string; datasetId: number }>()(
      z.object({
        path: z.string({ error: 'Folder path must be text' }).trim().min(1, 'Folder path must not be empty').max(4096),
        name: datasetName,
        size: imageSizeSchema,
        channels: channelsSchema,
        aspect: aspectSchema.default('resize'),
        /** The colour transparent pixels are flattened onto, "#rrggbb" (default black). */
        background: z
          .string({ error: 'Background must be a colour like #ffffff' })
          .regex(/^#[0-9a-fA-F]{6}$/, 'Background must be a colour like #ffffff')
          .default('#000000'),
        ...importCommon,
      }),
    ),
    /** A quick look at a folder before importing it: its classes, images, and whether some have transparency. */
    probe: method<FolderProbe>()(z.object({ path: z.string({ error: 'Folder path must be text' }).trim().min(1, 'Folder path must not be empty').max(4096) })),
    /** Starts importing the built-in MNIST digits (10,000 labelled 28x28 images, offline). */
    importMnist: method<{ jobId: string; datasetId: number }>()(
      z.object({
        name: datasetName.optional(),
        /** Take this many digits (as evenly over the classes as possible); default all 10,000. */
        count: z.number({ error: 'Count must be a number' }).int('Count must be a whole number').min(10, 'Count must be at least 10 (one per digit)').max(10_000, 'MNIST has 10,000 digits here').optional(),
        size: imageSizeSchema.default({ height: 28, width: 28 }),
        channels: channelsSchema.default(1),
        ...importCommon,
      }),
    ),
    /** Cancels a running import; its dataset and files are removed. No-op for a finished job. */
    cancel: method<{ cancelled: boolean }>()(z.object({ jobId })),
    /** Complete datasets, newest first; with a project id, that project's and the shared library's. */
    list: method<DatasetSummary[]>()(z.object({ projectId: entityId.optional() })),
    get: method<DatasetDetail>()(z.object({ id: entityId })),
    /** Paged thumbnails for the sample browser, optionally one split and/or one class. */
    samples: method<SamplePage>()(
      z.object({
        id: entityId,
        split: splitSchema.optional(),
        classIndex: z.number({ error: 'Class index must be a number' }).int().min(0, 'Class index must be 0 or more').optional(),
        offset: z.number({ error: 'Offset must be a number' }).int().min(0, 'Offset must be 0 or more').default(0),
        limit: z.number({ error: 'Limit must be a number' }).int().min(1, 'Limit must be at least 1').max(500, 'Limit must be at most 500').default(48),
        format: z.enum(['png', 'raw'], { error: 'Format must be "png" or "raw"' }).default('png'),
      }),
    ),
    /** A page of one split as raw pixels and labels. The test split needs `allowTest: true`. */
    readSplit: method<SplitBatch>()(
      z.object({
        id: entityId,
        split: splitSchema,
        offset: z.number({ error: 'Offset must be a number' }).int().min(0, 'Offset must be 0 or more').default(0),
        limit: z.number({ error: 'Limit must be a number' }).int().min(1, 'Limit must be at least 1').max(10_000, 'Limit must be at most 10,000').default(1000),
        allowTest: z.boolean({ error: 'allowTest must be true or false' }).optional(),
        /** false: indices and labels only (`images` is empty), e.g. when the pixels come from the cache file itself. */
        withImages: z.boolean({ error: 'withImages must be true or false' }).default(true),
      }),
    ),
    /** Deletes the dataset's rows and its cache files. */
    delete: method<{ deleted: true }>()(z.object({ id: entityId })),
  },
  {
    onDidProgress: z.object({ jobId: z.string(), datasetId: z.number(), done: z.number(), total: z.number(), phase: importProgressPhase }),
    onDidFinish: z.object({
      jobId: z.string(),
      datasetId: z.number(),
      status: z.enum(['ready', 'cancelled', 'failed']),
      message: z.string().optional(),
    }),
    onDidChange: z.object({ kind: z.enum(['created', 'deleted']), id: z.number() }),
  },
)
