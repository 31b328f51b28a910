import { z } from 'zod'
import { defineService, method } from '../contract'
import { entityId } from './projects'

/** What an export wrote, in words the UI shows as they are. */
export interface PytorchProjectExport {
  /** The folder written (absolute). */
  readonly folder: string
  /** The files written, relative to `folder` (forward slashes). */
  readonly files: string[]
  /** The studio's dataset cache folder the project trains on (`python train.py --data <it>`), null without one. */
  readonly dataFolder: string | null
  /** The command that trains the project, run in `folder`. */
  readonly trainCommand: string
  /** What the export left out and why (e.g. no split.json: the run's dataset no longer exists). */
  readonly notes: string[]
}

const folder = z.string().min(1, 'Choose the folder to write').max(4096)

/**
 * Export as a PyTorch project (the files of shared/export/pytorch, the same ones `studio export pytorch` writes)
 * into a folder the user chose: a run (`pytorchRun`: its snapshot and its dataset's split) or what the Train view
 * would start (`pytorchDesign`: the snapshot the run would record, built by the Train controller). The folder must
 * be an absolute path (main/store/path-guard.ts), not a symbolic link, and empty unless `overwrite` (files of the
 * same names are replaced). `suggestFolder` names a new folder under the data folder's `exports/` (the browser
 * host's default, which has no folder picker).
 */
export const exportsContract = defineService('exports', {
  suggestFolder: method<string>()(z.object({ name: z.string().trim().min(1, 'Name the export').max(200) })),
  pytorchRun: method<PytorchProjectExport>()(z.object({ runId: entityId, folder, overwrite: z.boolean().optional() })),
  pytorchDesign: method<PytorchProjectExport>()(
    z.object({
      /** The run snapshot the Train view would create (shared/train/run-snapshot.ts buildRunSnapshot). */
      snapshot: z.record(z.string(), z.unknown(), { error: 'snapshot must be an object (a run snapshot)' }),
      folder,
      overwrite: z.boolean().optional(),
    }),
  ),
})
