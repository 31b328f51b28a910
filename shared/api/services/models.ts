import { z } from 'zod'
import { defineService, method } from '../contract'
import type { ArchitectureVersion } from './architectures'
import { architectureName } from './architectures'
import { entityId } from './projects'
import type { CheckpointInfo, Run } from './runs'

export interface ImportedModel {
  /** The new design (its first version holds the mapped graph). */
  readonly architecture: ArchitectureVersion
  readonly designName: string
  /** The completed "Imported: <name>" run holding the weights. */
  readonly run: Run
  /** Its checkpoint: a transfer source (restoreCheckpoint / transferWeights match it to the design). */
  readonly checkpoint: CheckpointInfo
  /** Graph nodes and weights (values) imported. */
  readonly nodes: number
  readonly parameters: number
  /** What was adapted on the way (e.g. a linear activation left out). */
  readonly notes: string[]
}

/**
 * Pretrained models from disk. `importFolder` reads a TF.js layers-model folder (`model.json` and the weight files
 * its `weightsManifest` lists, all inside that folder), maps the topology onto a graph (shared/graph
 * graphFromTfjsTopology: layer names kept), saves it as a new design of the project and stores its weights as the
 * checkpoint of a completed run named "Imported: <name>" (config `{ kind: 'cnn-studio/imported', architecture:
 * { document, name }, source: { path } }`), which the Transfer card can start from. Nothing is written when the
 * folder is refused (missing or corrupt files, unsupported layers, weights that do not fit).
 */
export const modelsContract = defineService('models', {
  importFolder: method<ImportedModel>()(
    z.object({
      path: z.string().trim().min(1, 'Choose the model folder'),
      projectId: entityId,
      /** The design's name (default: the model's name in the file, or the folder's name). */
      name: architectureName.optional(),
    }),
  ),
})
