/**
 * The generated PyTorch project uses forms that work on torch 1.13 and on current 2.x: a scan of every file of the
 * export (every template, designs using every layer kind, every optimizer and schedule) for APIs that 2.x
 * deprecated or removed, and for calls whose meaning 2.x changed. Only torch 1.13 runs here, so this is read from
 * the code; each rule says what changed and in which version (PyTorch's release notes, docs and deprecation
 * warnings). Forms that need a feature check are allowed only behind it.
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { exportPytorchProject } from '@shared/export/pytorch'
import { OPTIMIZER_TYPES } from '../../../shared/train/optimizer-kinds'
import { SCHEDULE_KINDS } from '../../../shared/train/schedules'
import { findTorchPython, writeExport } from '../../shared/export/torch-python'
import { kindDesigns, templateDesigns } from './pytorch-designs'

const torch = findTorchPython()
if (torch.python === null) console.warn(`SKIPPED (one test): convert.py's torch_load on this torch needs PyTorch: ${torch.reason}`)

interface Rule {
  readonly what: RegExp
  readonly why: string
  /** The form is fine when this holds for the text of its line and the lines before it (a feature check). */
  readonly allowedAfter?: RegExp
}

const RULES: Rule[] = [
  { what: /torch\.(cuda|cpu)\.amp\.autocast/, why: 'deprecated in 2.4: torch.autocast(device_type)' },
  {
    what: /torch\.(cuda|cpu)\.amp\.GradScaler/,
    why: 'deprecated in 2.4 (torch.amp.GradScaler("cuda") since 2.3): only as 1.13\'s fallback behind hasattr(torch.amp, "GradScaler")',
    allowedAfter: /if hasattr\(torch, "amp"\) and hasattr\(torch\.amp, "GradScaler"\):\s*\n\s*return torch\.amp\.GradScaler\("cuda"\)\s*\n\s*return torch\.cuda\.amp\.GradScaler\(\)$/,
  },
  { what: /torch\.(cuda|cpu)\.amp\.(?!GradScaler|autocast)/, why: 'torch.cuda.amp / torch.cpu.amp are deprecated in 2.4 in favour of torch.amp' },
  { what: /torch\.distributed\.launch|--use[_-]env|--local[_-]rank/, why: 'torch.distributed.launch is deprecated for torchrun (which sets LOCAL_RANK)' },
  { what: /torch\._six/, why: 'removed in 2.0' },
  { what: /set_default_tensor_type/, why: 'deprecated in 2.1: torch.set_default_dtype / set_default_device' },
  { what: /torch\.testing\.assert_allclose/, why: 'deprecated: torch.testing.assert_close' },
  { what: /torch\.range\(/, why: 'deprecated: torch.arange' },
  { what: /\bVariable\(/, why: 'torch.autograd.Variable is deprecated (tensors carry autograd)' },
  { what: /\b(size_average|reduce)\s*=/, why: 'deprecated loss arguments: reduction=' },
  { what: /\bupsample(_bilinear|_nearest)?\(/, why: 'deprecated: F.interpolate' },
  { what: /clip_grad_norm\(/, why: 'deprecated: clip_grad_norm_' },
  { what: /torch\.(symeig|eig|lstsq|solve|matrix_rank|cholesky|qr|chain_matmul)\(/, why: 'removed or deprecated in 2.x: torch.linalg' },
  { what: /\bsoftmax\((?![^)]*\bdim\b)[^)]*\)/, why: 'softmax without dim: the implicit dim is deprecated' },
  { what: /\.byteswap\(\)/, why: 'torch tensors have no byteswap() (numpy arrays do)' },
  // requirements.txt asks for numpy unpinned: numpy 2.0 removed these aliases.
  { what: /\bnp\.(float|int|bool|object|complex|str)\b(?!\d|_\w)|\bnp\.(float_|complex_|product|cumproduct|alltrue|sometrue)\b/, why: 'removed in numpy 2.0' },
]

/**
 * The code of a file, lines kept where they were: Python with its comments and docstrings blanked (they may name
 * the old forms they replace), Markdown's commands only (fenced or indented blocks), other files as they are.
 */
function codeOnly(path: string, text: string): string {
  if (path.endsWith('.md')) {
    let fenced = false
    return text
      .split('\n')
      .map((line) => {
        if (line.startsWith('```')) {
          fenced = !fenced
          return ''
        }
        return fenced || line.startsWith('    ') ? line : ''
      })
      .join('\n')
  }
  if (!path.endsWith('.py')) return text
  let out = ''
  for (let i = 0; i < text.length; ) {
    const c = text[i]!
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++
      continue
    }
    if (c === '"' || c === "'") {
      const quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c
      let j = i + quote.length
      while (j < text.length && !text.startsWith(quote, j)) j += text[j] === '\\' ? 2 : 1
      const body = text.slice(i + quote.length, j)
      // A string's words go; its quotes and any text a call needs stay (torch.load's path, GradScaler's "cuda").
      out += quote + (quote.length === 3 ? body.replace(/[^\n]/g, '') : body) + quote
      i = j + quote.length
      continue
    }
    out += c
    i++
  }
  return out
}

/** torch.load calls without an explicit weights_only (2.6 changed its default from False to True). */
function loadsWithoutWeightsOnly(text: string): string[] {
  const out: string[] = []
  for (let i = text.indexOf('torch.load('); i >= 0; i = text.indexOf('torch.load(', i + 1)) {
    let depth = 0
    let j = i + 'torch.load'.length
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++
      else if (text[j] === ')' && --depth === 0) break
    }
    const call = text.slice(i, j + 1)
    if (!/\bweights_only\s*=/.test(call)) out.push(call)
  }
  return out
}

/** Every file of the export for every design and training config here, by path (the text of each distinct one). */
function exportedTexts(): Map<string, Set<string>> {
  const texts = new Map<string, Set<string>>()
  const trainings = [
    ...OPTIMIZER_TYPES.map((type) => ({ optimizer: { type } })),
    ...SCHEDULE_KINDS.map((s) => ({ optimizer: { type: 'sgd' }, schedule: { type: s.type, ...Object.fromEntries(s.fields.map((f) => [f.param, Number(f.default)])) } })),
  ]
  const designs = [...templateDesigns(), ...kindDesigns()]
  for (const [i, design] of designs.entries()) {
    for (const t of i === 0 ? trainings : trainings.slice(0, 1)) {
      const snapshot = { kind: 'cnn-studio/train', training: { epochs: 2, batchSize: 8, seed: 1, learningRate: 0.01, clipGradNorm: 1, ...t } }
      for (const f of exportPytorchProject({ snapshot, graph: design.doc, split: null, run: null })) {
        if (!texts.has(f.path)) texts.set(f.path, new Set())
        texts.get(f.path)!.add(f.text)
      }
    }
  }
  return texts
}

describe('the PyTorch export works on torch 1.13 and 2.x (read from the code)', () => {
  const texts = exportedTexts()

  it('exports the whole project (the scan sees every file)', () => {
    expect([...texts.keys()].sort()).toEqual(['README.md', 'augment.py', 'convert.py', 'data.py', 'model.py', 'requirements.txt', 'run.json', 'studio_random.py', 'torchrun_compat.py', 'train.py'])
    // Every optimizer's constructor made it into some train.py.
    const trains = [...texts.get('train.py')!].join('\n')
    for (const cls of ['torch.optim.SGD(', 'torch.optim.Adam(', 'torch.optim.AdamW(', 'class Lion(torch.optim.Optimizer)']) expect(trains).toContain(cls)
  })

  it('uses no API that 2.x deprecated or removed, except behind its feature check', () => {
    const found: string[] = []
    for (const [path, versions] of texts) {
      for (const text of versions) {
        const lines = codeOnly(path, text).split('\n')
        lines.forEach((line, n) => {
          for (const rule of RULES) {
            if (!rule.what.test(line)) continue
            const upTo = lines.slice(Math.max(0, n - 3), n + 1).join('\n')
            if (rule.allowedAfter?.test(upTo)) continue
            found.push(`${path}:${n + 1}: ${line.trim()} (${rule.why})`)
          }
        })
      }
    }
    expect(found).toEqual([])
  })

  it('gives every torch.load an explicit weights_only (2.6 made True the default)', () => {
    const found: string[] = []
    for (const [path, versions] of texts) for (const text of versions) for (const call of loadsWithoutWeightsOnly(text)) found.push(`${path}: ${call}`)
    expect(found).toEqual([])
    // train.py and the studio's converter read last.pt / best.pt through convert.py's one helper.
    const train = [...texts.get('train.py')!][0]!
    expect(train).toContain('from convert import torch_load')
    expect(train).toMatch(/ck = torch_load\(path\)/)
  })

  it('launches distributed training with torchrun only (README and torchrun_compat.py)', () => {
    const readme = [...texts.get('README.md')!][0]!
    expect(readme).toMatch(/torchrun --standalone --nproc_per_node 2 train\.py/)
    expect([...texts.get('torchrun_compat.py')!][0]).toContain('from torch.distributed.run import main')
  })

  it.skipIf(torch.python === null)('convert.py reads train.py\'s checkpoints on this torch with the weights_only it can (and swaps bytes without byteswap)', () => {
    const design = templateDesigns()[0]!
    const dir = writeExport(exportPytorchProject({ snapshot: { kind: 'cnn-studio/train', training: { epochs: 1, batchSize: 8, seed: 1, learningRate: 0.01, optimizer: { type: 'sgd' } } }, graph: design.doc, split: null, run: null }))
    try {
      const script = [
        'import sys, torch',
        'sys.path.insert(0, sys.argv[1])',
        'import convert',
        // What last.pt holds: floats, tuples, None, strings, tensors, an optimizer state and the RNG state.
        'opt = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), lr=0.5, betas=(0.9, 0.99))',
        'torch.save({"format": "x", "lr": 0.5, "betas": (0.9, 0.99), "best": {"valAcc": None}, "rng": torch.get_rng_state(), "optimizer": opt.state_dict()}, sys.argv[1] + "/x.pt")',
        'ck = convert.torch_load(sys.argv[1] + "/x.pt")',
        'assert ck["lr"] == 0.5 and ck["betas"] == (0.9, 0.99) and ck["optimizer"]["param_groups"][0]["lr"] == 0.5',
        't = torch.tensor([1.5, -2.25])',
        'once = convert._swap_bytes(t)',
        'assert not torch.equal(once, t) and torch.equal(convert._swap_bytes(once), t)',
        'assert once.view(torch.uint8).tolist() == t.view(torch.uint8).reshape(-1, 4).flip(1).reshape(-1).tolist()',
        'print("weights_only=%s" % convert._WEIGHTS_ONLY_NUMBERS, torch.__version__)',
      ].join('\n')
      const out = execFileSync(torch.python!, ['-c', script, dir], { encoding: 'utf8' }).trim()
      // 1.13's weights-only loader cannot read a float; 2.x's can.
      const major = Number(/ (\d+)\./.exec(out)![1])
      expect(out).toMatch(major >= 2 ? /^weights_only=True / : /^weights_only=False /)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
