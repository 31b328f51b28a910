/**
 * A quick look at a folder before its import: its classes and images (the same scan the import makes) and, from
 * the headers of up to PROBE_LIMIT images spread over the folder, how many have an alpha channel, so the import
 * dialog can say that transparency was found and ask what it becomes.
 */
import sharp from 'sharp'
import type { FolderProbe } from '@shared/api'
import { scanFolder } from './scan'

export const PROBE_LIMIT = 400

export async function probeFolder(folder: string): Promise<FolderProbe> {
  const scan = await scanFolder(folder)
  const n = scan.files.length
  const take = Math.min(n, PROBE_LIMIT)
  const picked = Array.from({ length: take }, (_, j) => scan.files[Math.floor((j * n) / take)]!.path)
  let checked = 0
  let withAlpha = 0
  for (let k = 0; k < picked.length; k += 8) {
    const metas = await Promise.allSettled(picked.slice(k, k + 8).map((p) => sharp(p, { pages: 1 }).metadata()))
    for (const m of metas) {
      // An unreadable file is the import's to report (it lists skipped files with reasons).
      if (m.status !== 'fulfilled') continue
      checked++
      if (m.value.hasAlpha) withAlpha++
    }
  }
  return { classes: scan.classes, images: n, checked, withAlpha }
}
