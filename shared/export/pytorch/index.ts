/**
 * Export as a PyTorch project (pure: text in, text out; `main/cli/export.ts` writes the files).
 *
 * The project is assembled from parts: each part contributes files (`{ path, text }`), optionally a README
 * section and requirements lines. `exportPytorchProject` runs every part of `PYTORCH_EXPORT_PARTS` in order,
 * then writes README.md (title, then every part's section) and requirements.txt (every part's lines, once).
 * To add a file to the export: write a part next to the others and append it to the list.
 */
import type { ExportFile, PytorchExportInput, PytorchExportPart } from './part'
export type { ExportFile, PytorchExportInput, PytorchExportPart, SplitIndices } from './part'
import { modelPart } from './model'
export { PytorchExportError, planPytorchModel } from './model'
import { convertPart } from './convert'
import { snapshotPart } from './snapshot'
import { augmentPart } from './augment'
import { dataPart } from './data'
import { trainPart } from './train'

/** Every part of the export, in README order. */
export const PYTORCH_EXPORT_PARTS: readonly PytorchExportPart[] = [modelPart, convertPart, snapshotPart, augmentPart, dataPart, trainPart]

/** All files of the export folder. Throws when two parts write the same path. */
export function exportPytorchProject(input: PytorchExportInput, parts: readonly PytorchExportPart[] = PYTORCH_EXPORT_PARTS): ExportFile[] {
  const files: ExportFile[] = []
  const seen = new Set<string>()
  const push = (f: ExportFile, from: string) => {
    if (seen.has(f.path)) throw new Error(`Export part "${from}" writes ${f.path}, which another part already wrote`)
    seen.add(f.path)
    files.push(f)
  }
  for (const part of parts) for (const f of part.files(input)) push(f, part.id)
  const title = input.run ? `# Run ${input.run.id} "${input.run.name}" as a PyTorch project` : '# A CNN Studio design as a PyTorch project'
  const intro =
    'Exported by CNN Studio (`studio export pytorch`). The folder is self-contained: the model, the conversion of ' +
    'studio checkpoints, the run snapshot and its split.'
  const sections = parts.map((p) => p.readme?.(input)).filter((s): s is string => s !== undefined)
  push({ path: 'README.md', text: [title, '', intro, '', ...sections.map((s) => s.trimEnd() + '\n')].join('\n') }, 'readme')
  const reqs = [...new Set(parts.flatMap((p) => p.requirements ?? []))]
  push({ path: 'requirements.txt', text: reqs.join('\n') + '\n' }, 'requirements')
  return files
}
