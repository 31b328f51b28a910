/**
 * Finding a Python with PyTorch: the interpreter set in the app (settings key `python-interpreter`), or else the
 * search: `python3` and `python` on PATH, then /usr/bin/python3 and /usr/local/bin/python3 (the first python3 on
 * PATH may be a pyenv or venv one without torch while Debian's has it). Each candidate runs one short probe
 * (`import torch`: versions, CUDA and its device names); the first that imports torch is the engine's interpreter.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { EngineInfo, PythonProbe } from '@shared/api'

export const INTERPRETER_SETTING = 'python-interpreter'
export const TFJS_LABEL = 'TF.js (in the app)'
export const INSTALL_HINT =
  'Install PyTorch: on Debian or Ubuntu `sudo apt-get install python3-torch`; elsewhere `pip install torch` (see pytorch.org), ' +
  'or set the Python interpreter that has it.'

const PROBE = [
  'import json, platform',
  'out = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine() or None}',
  'try:',
  '    import torch',
  '    out["torch"] = torch.__version__',
  '    cuda = torch.cuda.is_available()',
  '    out["device"] = "cuda" if cuda else "cpu"',
  '    out["deviceNames"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []',
  'except Exception as e:',
  '    out["error"] = "%s: %s" % (type(e).__name__, e)',
  'print(json.dumps(out))',
].join('\n')

/** Resolves a bare name on PATH (null when absent); a path is returned as it is. */
export function onPath(name: string, pathEnv = process.env.PATH ?? ''): string | null {
  if (isAbsolute(name)) return name
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return null
}

/** The search's candidates in order, each once (by its resolved file; pyenv shims stay distinct from their targets). */
export function searchCandidates(pathEnv = process.env.PATH ?? ''): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const c of [onPath('python3', pathEnv), onPath('python', pathEnv), '/usr/bin/python3', '/usr/local/bin/python3']) {
    if (c === null) continue
    let key = c
    try {
      key = realpathSync(c)
    } catch {
      continue // does not exist
    }
    if (seen.has(key)) continue
    seen.add(key)
    out.push(c)
  }
  return out
}

interface ProbeOutput {
  python?: string
  torch?: string
  device?: 'cpu' | 'cuda'
  deviceNames?: string[]
  cpu?: string | null
  error?: string
}

function parseProbe(text: string): ProbeOutput | null {
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null ? (v as ProbeOutput) : null
  } catch {
    return null
  }
}

/** Runs the probe in one interpreter (timeout: importing torch can take a while on a loaded machine). */
export function probePython(interpreter: string, source: PythonProbe['source'], timeoutMs = 60_000): Promise<PythonProbe> {
  const base = { interpreter, source, python: null, torch: null, device: null, deviceNames: [], cpuName: null }
  return new Promise((resolveProbe) => {
    // A path the system cannot start at all (too long, a symlink loop) throws here rather than calling back.
    try {
      startProbe(resolveProbe)
    } catch (error) {
      resolveProbe({ ...base, problem: `could not be started (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` })
    }
  })
  function startProbe(resolveProbe: (p: PythonProbe) => void): void {
    execFile(interpreter, ['-c', PROBE], { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (error, stdout, stderr) => {
      const text = stdout.trim().split('\n').pop() ?? ''
      const parsed = parseProbe(text)
      if (parsed === null) {
        const why = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT'
          ? 'not found'
          : error?.killed
            ? `did not answer within ${Math.round(timeoutMs / 1000)} s`
            : `did not run (${(stderr.trim().split('\n').pop() ?? error?.message ?? 'no output').slice(0, 300)})`
        resolveProbe({ ...base, problem: why })
        return
      }
      if (parsed.torch === undefined) {
        resolveProbe({ ...base, python: parsed.python ?? null, cpuName: parsed.cpu ?? null, problem: parsed.error?.includes('No module named') ? 'has no torch (No module named torch)' : `cannot import torch (${parsed.error ?? 'unknown error'})` })
        return
      }
      resolveProbe({ ...base, python: parsed.python ?? null, cpuName: parsed.cpu ?? null, torch: parsed.torch, device: parsed.device ?? 'cpu', deviceNames: parsed.deviceNames ?? [], problem: null })
    })
  }
}

const majorMinor = (v: string | null): string => (v ?? '?').split(/[.+]/).slice(0, 2).join('.')

/** "PyTorch (python 3.11, torch 1.13, CPU)" or "... CUDA: NVIDIA A100, NVIDIA A100)". */
export function pytorchLabel(p: PythonProbe): string {
  const device = p.device === 'cuda' ? `CUDA: ${p.deviceNames.join(', ') || 'unnamed device'}` : 'CPU'
  return `PyTorch (python ${majorMinor(p.python)}, torch ${majorMinor(p.torch)}, ${device})`
}

/** The PyTorch engine as found: the set interpreter alone when there is one, else the first candidate with torch. */
export async function detectPytorch(setting: string | null, candidates: readonly string[] = searchCandidates()): Promise<EngineInfo> {
  const tried: PythonProbe[] = []
  let found: PythonProbe | null = null
  for (const [interpreter, source] of setting !== null ? ([[setting, 'setting']] as const) : candidates.map((c) => [c, 'search'] as const)) {
    const p = await probePython(interpreter, source)
    tried.push(p)
    if (p.problem === null) {
      found = p
      break
    }
  }
  if (found !== null) return { id: 'pytorch', label: pytorchLabel(found), available: true, reason: null, python: found, tried, interpreterSetting: setting }
  const list = tried.map((p) => `${p.interpreter} ${p.problem ?? ''}`.trim()).join('; ')
  const reason =
    setting !== null
      ? `The Python interpreter set in the app, ${setting}, ${tried[0]?.problem ?? 'did not run'}. ${INSTALL_HINT}`
      : tried.length === 0
        ? `No Python found (looked for python3 and python on PATH, /usr/bin/python3, /usr/local/bin/python3). ${INSTALL_HINT}`
        : `No Python with PyTorch found (tried ${list}). ${INSTALL_HINT}`
  return { id: 'pytorch', label: 'PyTorch (not found)', available: false, reason, python: null, tried, interpreterSetting: setting }
}

export const tfjsEngine = (): EngineInfo => ({ id: 'tfjs', label: TFJS_LABEL, available: true, reason: null, python: null, tried: [], interpreterSetting: null })
