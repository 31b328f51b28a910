/**
 * The Python with PyTorch the export tests run ($PYTHON, then python3 on PATH, then Debian's /usr/bin/python3), and
 * writing an export to a temporary folder. Tests that need torch skip with the printed reason when none is found.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ExportFile } from '../../../shared/export/pytorch'

export type TorchPython = { readonly python: string; readonly reason: null } | { readonly python: null; readonly reason: string }

export function findTorchPython(): TorchPython {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p))
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 60_000 })
      return { python, reason: null }
    } catch {
      // next candidate
    }
  }
  const reason = `SKIPPED: no Python with PyTorch and numpy (tried ${candidates.join(', ')}); install python3-torch (Debian) or pip install torch numpy`
  console.warn(reason)
  return { python: null, reason }
}

/** Writes files into a fresh temporary folder and returns it. */
export function writeExport(files: readonly ExportFile[], prefix = 'pt-export-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  for (const f of files) {
    const path = join(dir, f.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, f.text)
  }
  return dir
}
