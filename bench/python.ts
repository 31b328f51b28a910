/** The Python with PyTorch that the benchmarks compare against. */
import { execFileSync } from 'node:child_process'

export function findPython(): { python: string } | { python: null; reason: string } {
  // $PYTHON, else the first python3 on PATH, else Debian's (the one on PATH may be another install without torch).
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p))
  const python = candidates.find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
  return python ? { python } : { python: null, reason: `import torch failed with ${candidates.join(', ')}: PyTorch is not installed here` }
}
