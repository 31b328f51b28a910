/** The shapes of the PyTorch export's parts (./index.ts assembles them; each part imports only this module). */
import type { GraphDocument } from '../../graph/types'

export interface ExportFile {
  /** Relative path inside the export folder (forward slashes). */
  readonly path: string
  readonly text: string
}

/** Cache positions (`datasets/<id>/images.u8` rows) of the images of each split, as the studio split them. */
export interface SplitIndices {
  readonly train: readonly number[]
  readonly val: readonly number[]
  readonly test: readonly number[]
}

export interface PytorchExportInput {
  /**
   * The run snapshot as the studio records it (a run's `config`: kind 'cnn-studio/train', architecture.document,
   * dataset, pipeline.document, training, seed), or one built the same way from files (`--graph`). run.json.
   */
  readonly snapshot: Record<string, unknown>
  /** The snapshot's graph document, parsed (current format). */
  readonly graph: GraphDocument
  /** The run's train/val/test indices (split.json); null when exported from files without a dataset. */
  readonly split: SplitIndices | null
  /** The run exported (null for a design exported from files). */
  readonly run: { readonly id: number; readonly name: string } | null
}

export interface PytorchExportPart {
  readonly id: string
  readonly files: (input: PytorchExportInput) => ExportFile[]
  /** A README section in Markdown, starting with a `## ` heading. */
  readonly readme?: (input: PytorchExportInput) => string
  /** Lines of requirements.txt this part needs (pip specifiers). */
  readonly requirements?: readonly string[]
}

/** A design, snapshot or config the export cannot write, in words (the CLI prints it as a usage error). */
export class PytorchExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PytorchExportError'
  }
}
