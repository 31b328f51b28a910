/** The data, augmentation and training parts of the PyTorch export: files, README sections, config errors. */
import { describe, expect, it } from 'vitest'
import { AUGMENT_KINDS } from '../../../shared/augment/spec-only'
import { exportPytorchProject } from '../../../shared/export/pytorch'
import { AUGMENT_TOLERANCES, augmentPart } from '../../../shared/export/pytorch/augment'
import { dataPart } from '../../../shared/export/pytorch/data'
import { trainPart } from '../../../shared/export/pytorch/train'
import { TRAINING } from './pytorch-project'

const input = (training: unknown) => ({ snapshot: { kind: 'cnn-studio/train', training }, graph: {} as never, split: null, run: null })

describe('PyTorch export: augment, data and train parts', () => {
  const files = exportPytorchProject(input(TRAINING), [augmentPart, dataPart, trainPart])
  const byPath = new Map(files.map((f) => [f.path, f.text]))

  it('writes augment.py, studio_random.py, data.py, train.py, torchrun_compat.py, README.md and requirements.txt', () => {
    expect([...byPath.keys()].sort()).toEqual(['README.md', 'augment.py', 'data.py', 'requirements.txt', 'studio_random.py', 'torchrun_compat.py', 'train.py'])
    expect(byPath.get('requirements.txt')).toBe('torch>=1.13\nnumpy\n')
  })

  it('README: the per-kind tolerance table (every kind), the cache format and the commands', () => {
    const readme = byPath.get('README.md') as string
    for (const kind of AUGMENT_KINDS) expect(readme).toContain(`| ${kind} | ${AUGMENT_TOLERANCES[kind].tolerance === 0 ? '0 (exact)' : ''}`)
    expect(readme).toContain('`images.u8`: N*H*W*C bytes')
    expect(readme).toContain('torchrun --standalone --nproc_per_node 2 train.py')
    expect(readme).toContain('--rdzv_endpoint')
  })

  it('train.py carries the run\'s config and its optimizer and schedule', () => {
    const train = byPath.get('train.py') as string
    expect(train).toContain('torch.optim.SGD(groups, lr=0.0, momentum=0.9, nesterov=True)')
    expect(train).toContain('(1 + math.cos(math.pi * p)) / 2')
    expect(train).toContain('"clipGradNorm": 1')
    expect(train).toContain('WARMUP_EPOCHS = 0.5')
  })

  it('refuses a snapshot without a valid training config, naming the field', () => {
    expect(() => trainPart.files(input(undefined))).toThrow(/no training config/)
    expect(() => trainPart.files(input({ ...TRAINING, batchSize: 0 }))).toThrow(/batchSize must be an integer >= 1, received 0/)
  })
})
