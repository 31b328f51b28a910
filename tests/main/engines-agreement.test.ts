/**
 * The two engines agree (issue #13): the built-in MNIST (the `mnist` package, imported as `studio dataset mnist`
 * does), one split, one configuration (the LeNet-5 template, Adam 1e-3, batch 64, 3 epochs, seed 1), trained by the
 * in-app engine (`studio train`: the Node path, shared/train's Trainer on WASM) and by `python train.py` of the same
 * run exported as a PyTorch project (`studio export pytorch`). Their validation accuracies after epoch 3 are within
 * 1.0 point. Both start from the studio's initializers, not from the same values, and draw their own batch order,
 * so the tolerance carries that noise too.
 *
 * Sized for ~3 minutes on 2 cores: a subset of 5,000 digits split 4,000 train / 1,000 val / 0 test (the studio's
 * stratified split; split.json carries it to PyTorch, so validation means the same 1,000 images). Needs a Python with
 * PyTorch; skipped with the printed reason when none is found.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../main/cli/index'
import { capture } from './cli-train-fixtures'
import { tempDataDir } from './helpers'
import { findTorchPython } from '../shared/export/torch-python'

const torch = findTorchPython()
const data = tempDataDir('cnn-studio-agree-')
afterAll(() => data.cleanup())

async function cli(args: string[]): Promise<string> {
  const io = capture()
  const code = await runCli([...args, '--data-dir', data.dir], io)
  if (code !== 0) throw new Error(`studio ${args.join(' ')} failed (${code}): ${io.err}`)
  return io.out
}

describe.skipIf(torch.python === null)(`the in-app engine and the exported train.py agree on MNIST (${torch.reason ?? torch.python})`, () => {
  it('LeNet-5, Adam 1e-3, batch 64, 3 epochs on 4,000/1,000 digits: validation accuracy within 1.0 point', async () => {
    await cli(['dataset', 'mnist', '--count', '5000', '--split', '0.8,0.2,0', '--seed', '1'])
    const lines = (await cli(['train', '--template', 'lenet5', '--dataset', '1', '--epochs', '3', '--batch', '64', '--optimizer', 'adam', '--lr', '0.001', '--seed', '1', '--json']))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; runId?: number; epoch?: number; valAcc?: number; dataset?: { train: number; val: number } })
    const start = lines.find((l) => l.type === 'start')!
    expect(start.dataset).toEqual({ id: 1, name: expect.any(String) as string, train: 4000, val: 1000 })
    const studioAcc = lines.find((l) => l.type === 'epoch' && l.epoch === 3)?.valAcc
    expect(studioAcc).toBeTypeOf('number')

    const out = join(data.dir, 'lenet-pytorch')
    await cli(['export', 'pytorch', String(start.runId), '--out', out])
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { train: number[]; val: number[]; test: number[] }
    expect([split.train.length, split.val.length, split.test.length]).toEqual([4000, 1000, 0])
    execFileSync(torch.python!, ['train.py', '--device', 'cpu', '--data', join(data.dir, 'datasets', '1')], { cwd: out, stdio: 'pipe', timeout: 240_000 })
    const points = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { name: string; epoch: number; value: number })
    const torchAcc = points.find((p) => p.name === 'val/acc' && p.epoch === 3)?.value
    expect(torchAcc).toBeTypeOf('number')
    console.log(`validation accuracy after 3 epochs: in-app ${(studioAcc! * 100).toFixed(2)} %, PyTorch ${(torchAcc! * 100).toFixed(2)} %`)
    // Both learned (an untrained LeNet is at ~10 %), and they agree.
    expect(studioAcc!).toBeGreaterThan(0.85)
    expect(Math.abs(studioAcc! - torchAcc!) * 100).toBeLessThanOrEqual(1.0)
  }, 360_000)
})
