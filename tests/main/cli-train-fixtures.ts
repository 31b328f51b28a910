/** Shared set-up of the `studio train` tests: a data folder with 500 MNIST digits and a tiny graph file. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GraphBuilder, serializeGraphDocument } from '@shared/graph'
import { nodeIO, runCli, type CliIO } from '../../main/cli/index'
import { tempDataDir } from './helpers'

export function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t), readFile: nodeIO.readFile }
  return io
}

/**
 * conv8-relu-pool-conv16-relu-pool-flatten-Output. The head draws N(0, 0.01^2) weights, so the untrained network
 * predicts nearly uniform probabilities and its loss is about ln(10) (the lecture's sanity check).
 */
export function tinyGraphJson(): string {
  const b = new GraphBuilder()
  b.add('Input', { shape: [28, 28, 1] }, { id: 'in' })
  b.add('Conv2D', { filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }, { id: 'conv1' })
  b.add('ReLU', {}, { id: 'relu1' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool1' })
  b.add('Conv2D', { filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }, { id: 'conv2' })
  b.add('ReLU', {}, { id: 'relu2' })
  b.add('MaxPool', { poolSize: 2, strides: 2 }, { id: 'pool2' })
  b.add('Flatten', {}, { id: 'flat' })
  b.add('Output', { units: 10, kernelInitializer: 'normal', stddev: 0.01 }, { id: 'out' })
  return serializeGraphDocument(b.build())
}

/** A temp data folder with "MNIST (500 digits)" imported through the datasets service (`studio dataset mnist`). */
export async function mnistDataDir(): Promise<{ dir: string; graphFile: string; cleanup: () => void }> {
  const data = tempDataDir('cnn-studio-train-')
  const io = capture()
  const code = await runCli(['dataset', 'mnist', '--count', '500', '--seed', '3', '--data-dir', data.dir], io)
  if (code !== 0) throw new Error(`dataset mnist failed (${code}): ${io.err}`)
  const graphFile = join(data.dir, 'tiny-graph.json')
  writeFileSync(graphFile, tinyGraphJson())
  return { dir: data.dir, graphFile, cleanup: data.cleanup }
}
