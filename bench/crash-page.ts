/**
 * A studio page (one browser tab) for the crash campaign's browser-host kills (bench/crash-campaign.ts), run as
 * its own process: it reads the token from the host's index.html as the page does (the studio-token meta), calls
 * the API over HTTP with the renderer's own web transport and client, and trains with the Train section's
 * TrainingController, the training worker's work (renderer/src/train/worker-run.ts) running in this process on a
 * MessageChannel (WASM under Node), the dataset cache read from the host's /files/ with the token, as the worker
 * reads it. Prints JSON lines on stdout.
 *
 *   tsx bench/crash-page.ts <url> train <design.json> <datasetId> <epochs> <batch> <checkpointEveryMs>
 *   tsx bench/crash-page.ts <url> resume <runId> <checkpointEveryMs>
 *
 * With `-` for the url it is read from the first line of stdin: the campaign starts the page (loading TF.js and
 * the renderer's code takes seconds) while the host starts, and tells it the address once the host prints it.
 *
 * train: creates a project and a design, starts a run; resume: Resume of an interrupted run (its last checkpoint
 * loaded, the metrics after it dropped). Lines: {type:'start', runId, resumedFromStep}, {type:'epoch', epoch,
 * step}, {type:'persist-error', text} when the Train section starts showing that a write failed, then
 * {type:'end', outcome, message, persistError, resumedFromStep, stepsPerEpoch}.
 */
import { readFileSync } from 'node:fs'
import { webDataFileUrl, fetchDataFile } from '../renderer/src/api/data-file'
import { TrainingController, useTraining } from '../renderer/src/train/controller'
import type { TrainMethods } from '../renderer/src/train/protocol'
import { WorkerRun } from '../renderer/src/train/worker-run'
import type { WorkerLike } from '../renderer/src/workers/client'
import { serve, type WorkerPort } from '../renderer/src/workers/serve'
import { selectBackend } from '../main/train/backend'
import { pageApi } from './web-page'

const [urlArg, command, ...args] = process.argv.slice(2) as [string, string, ...string[]]
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)

/** The training worker, in this process: its `serve` on one end of a real MessageChannel (as a Worker's port). */
function inProcessWorker(): WorkerLike {
  const train = WorkerRun.train({
    async startBackend(choice) {
      if (choice !== 'wasm' && choice !== 'cpu') throw new Error(`${choice} is not a Node backend`)
      const b = await selectBackend(choice)
      return { backend: b.backend as 'wasm' | 'cpu', reason: b.fallback ?? 'chosen by you', adapter: null, tried: [{ backend: choice, error: b.fallback }], wasmThreads: b.threads ?? null, crossOriginIsolated: null }
    },
    fetchData: (u) => fetchDataFile(u),
  })
  const channel = new MessageChannel()
  serve<TrainMethods>({ train }, { port: channel.port1 as unknown as WorkerPort })
  const worker: WorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage: (message, transfer) => channel.port2.postMessage(message, transfer ?? []),
    terminate() {
      channel.port1.close()
      channel.port2.close()
    },
  }
  channel.port2.onmessage = (event) => worker.onmessage?.(event)
  return worker
}

/** The first line of stdin. */
function firstLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', (chunk: string) => {
      text += chunk
      const nl = text.indexOf('\n')
      if (nl >= 0) {
        process.stdin.pause()
        resolve(text.slice(0, nl).trim())
      }
    })
    process.stdin.on('end', () => reject(new Error('stdin ended before the host address came')))
  })
}

async function main(): Promise<void> {
  const url = urlArg === '-' ? await firstLine() : urlArg
  const { api, token, origin } = await pageApi(url)
  const info = await api.app.info({})
  const controller = new TrainingController({
    api,
    createWorker: inProcessWorker,
    dataFileUrl: (p) => webDataFileUrl(origin, token, p),
    appVersion: () => info.version,
    checkpointEveryMs: Number(command === 'train' ? args[5] : args[1]),
  })
  let epochs = 0
  let started = false
  let persistError: string | null = null
  // Watched until the run's writes settled, not only until its phase is 'ended': the Train section goes on showing
  // a write that fails after the training itself ended (the last checkpoint, the run's end), and so does this page.
  let off = () => {}
  const ended = new Promise<void>((resolve) => {
    off = useTraining.subscribe((s) => {
      const live = s.live
      if (!live) return
      if (!started && live.phase === 'running') {
        started = true
        print({ type: 'start', runId: live.runId, resumedFromStep: live.resumedFromStep })
      }
      // What the Train section shows when a write failed (a checkpoint, a metric batch), as it changes.
      if (live.persistError !== persistError) {
        persistError = live.persistError
        if (persistError !== null) print({ type: 'persist-error', text: persistError })
      }
      for (; epochs < live.epochRows.length; epochs++) print({ type: 'epoch', epoch: live.epochRows[epochs]!.epoch, step: live.epochRows[epochs]!.step })
      if (live.phase === 'ended') resolve()
    })
  })
  if (command === 'train') {
    const [designFile, datasetId, epochCount, batch] = args as [string, string, string, string]
    const project = await api.projects.create({ name: 'Host kills' })
    const design = await api.architectures.create({ projectId: project.id, name: 'tiny', document: JSON.parse(readFileSync(designFile, 'utf8')) })
    await controller.start({
      projectId: project.id,
      architectureId: design.architectureId,
      datasetId: Number(datasetId),
      pipelineId: null,
      config: { epochs: Number(epochCount), batchSize: Number(batch), seed: 0, learningRate: 1e-3, optimizer: { type: 'adam' } },
      backend: 'wasm',
    })
  } else if (command === 'resume') {
    await controller.resumeRun(Number(args[0]))
  } else throw new Error(`unknown command ${command}`)
  await ended
  await controller.settled()
  off()
  const live = useTraining.getState().live!
  print({ type: 'end', outcome: live.outcome, message: live.message, persistError: live.persistError, resumedFromStep: live.resumedFromStep, stepsPerEpoch: live.stepsPerEpoch })
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`crash page: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  },
)
