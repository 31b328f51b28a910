/**
 * The training worker's `train` method (./protocol.ts), apart from the worker itself: start the backend it is told,
 * load the dataset cache, compile the design, measure the initial loss and run shared/train's Trainer, streaming
 * the engine's messages to the page as the call's progress (checkpoint buffers transferred). Controls (pause /
 * resume / stop) reach the trainer between steps; a 'checkpoint' control is Trainer.requestCheckpoint() (a
 * checkpoint at the next step boundary). A setup that fails rejects the call with its reason.
 *
 * What depends on where it runs (the browser's backends and fetch, or Node in the tests) comes in as WorkerHost.
 */
import type * as tf from '@tensorflow/tfjs'
import { freezePlan, transferWeights } from '@shared/procedure/transfer'
import type { TransferReport } from '@shared/procedure/transfer'
import { assertDatasetFit } from '@shared/graph/fit'
import { compileGraph } from '@shared/tfjs/compile'
import { initialLoss } from '@shared/train/evaluate'
import { Trainer } from '@shared/train/trainer'
import type { TrainMessage } from '@shared/train/messages'
import { CacheDataSource } from './cache-source'
import type { CallContext } from '../workers/serve'
import type { TrainControl, TrainEvent, TrainRequest } from './protocol'

export type BackendEvent = Extract<TrainEvent, { type: 'backend' }>

/** What a run needs of its call: the event stream to the page and the page's controls. */
export type TrainCall = Pick<CallContext<TrainEvent, TrainControl>, 'progress' | 'onControl'>

export interface WorkerHost {
  /** Starts the backend for the choice (falling back where it must) and says which one runs and why. */
  startBackend(choice: TrainRequest['backend']): Promise<Omit<BackendEvent, 'type' | 'ms'>>
  /** The whole dataset cache (N*H*W*C uint8). */
  fetchData(url: string): Promise<Uint8Array>
  /** Milliseconds, monotonic (default performance.now). */
  readonly now?: () => number
}

/** Training batches the initial loss is measured on (as the `studio train` command does). */
export const INITIAL_LOSS_BATCHES = 4

/** One `train` call: a run from setup to its end. */
export class WorkerRun {
  readonly #host: WorkerHost
  readonly #call: TrainCall
  readonly #now: () => number
  #trainer: Trainer | null = null
  /** A stop that arrived before the trainer existed (during setup). */
  #earlyStop: string | null = null

  constructor(host: WorkerHost, call: TrainCall) {
    this.#host = host
    this.#call = call
    this.#now = host.now ?? (() => performance.now())
    call.onControl((c) => this.#control(c))
  }

  /** The `train` method: `new WorkerRun(host, ctx).run(request)`. */
  static train(host: WorkerHost): (request: TrainRequest, call: TrainCall) => Promise<void> {
    return (request, call) => new WorkerRun(host, call).run(request)
  }

  #control(c: TrainControl): void {
    if (c.type === 'checkpoint') {
      if (this.#trainer && !this.#trainer.paused) this.#trainer.requestCheckpoint()
    } else if (this.#trainer) {
      this.#trainer.command(c)
    } else if (c.type === 'stop') {
      this.#earlyStop = c.reason ?? 'Stopped by the user'
    }
  }

  #post(event: TrainEvent, transfer: ArrayBuffer[] = []): void {
    this.#call.progress(event, transfer)
  }

  /**
   * Transfer start: copies the source checkpoint's matching layers into `model` (not when resuming: the run's own
   * checkpoint restores every weight) and returns the config with the freeze plan's groups first (first match wins).
   */
  #applyTransfer(cmd: TrainRequest, model: tf.LayersModel): TrainRequest['config'] {
    const init = cmd.init!
    let report: TransferReport | null = null
    if (init.source && !cmd.resume) {
      const { checkpoint, graph } = init.source
      report = transferWeights({ checkpoint: { meta: checkpoint.meta, weights: checkpoint.weights, optimizerState: checkpoint.optimizerState }, graph }, model, { seed: init.seed }).report
    }
    const plan = freezePlan(model, init.freeze, { pretrainedLrMultiplier: init.pretrainedLrMultiplier })
    this.#post({ type: 'transfer', report, plan, time: Date.now() })
    return { ...cmd.config, groups: [...plan.groups, ...(cmd.config.groups ?? [])] }
  }

  /** Trains the run; resolves when it ended (done, stopped, failed in training), rejects when its setup failed. */
  async run(cmd: TrainRequest): Promise<void> {
    let model: tf.LayersModel | null = null
    let trainer: Trainer
    try {
      this.#post({ type: 'phase', phase: 'backend', time: Date.now() })
      const t0 = this.#now()
      const backend = await this.#host.startBackend(cmd.backend)
      this.#post({ type: 'backend', ...backend, ms: this.#now() - t0 })
      this.#post({ type: 'phase', phase: 'data', time: Date.now() })
      const t1 = this.#now()
      const images = await this.#host.fetchData(cmd.data.url)
      const data = new CacheDataSource({ images, classes: cmd.data.classes, shape: cmd.data.shape, train: cmd.data.train, val: cmd.data.val })
      const dataMs = this.#now() - t1
      this.#post({ type: 'phase', phase: 'compile', time: Date.now() })
      const t2 = this.#now()
      // Seeded initializers: the same run seed gives the same initial weights here and in the `studio` command.
      assertDatasetFit(cmd.graph, { shape: cmd.data.shape, classes: cmd.data.classes.length })
      model = compileGraph(cmd.graph, { seed: cmd.config.seed }).model
      const inShape = model.inputs[0]?.shape.slice(1) ?? []
      const [h, w, c] = cmd.data.shape
      if (inShape.length !== 3 || inShape[0] !== h || inShape[1] !== w || inShape[2] !== c) {
        throw new Error(`The design takes ${inShape.join('x')} inputs but the dataset's images are ${h}x${w}x${c}: change the design's Input shape to ${h}x${w}x${c}`)
      }
      const outUnits = model.outputs[0]?.shape.at(-1)
      if (outUnits !== cmd.data.classes.length) {
        throw new Error(`The design outputs ${String(outUnits)} values but the dataset has ${cmd.data.classes.length} classes: set the Output (classifier) node's Classes to ${cmd.data.classes.length}`)
      }
      const config = cmd.init ? this.#applyTransfer(cmd, model) : cmd.config
      const compileMs = this.#now() - t2
      trainer = new Trainer({
        model,
        data,
        pipeline: cmd.pipeline,
        config,
        resumeFrom: cmd.resume,
        sink: { post: (m: TrainMessage, transfer?: ArrayBuffer[]) => this.#post(m, transfer) },
      })
      this.#trainer = trainer
      // The loss before any training (~ln(classes) for a sound initialization); not for a resumed run.
      const init = cmd.resume
        ? null
        : await initialLoss(model, data, INITIAL_LOSS_BATCHES, { batchSize: trainer.config.batchSize, pipeline: cmd.pipeline })
      this.#post({ type: 'ready', dataMs, compileMs, params: model.countParams(), trainCount: data.count('train'), valCount: data.count('val'), initialLoss: init, time: Date.now() })
      if (this.#earlyStop !== null) trainer.stop(this.#earlyStop)
    } catch (e) {
      model?.dispose()
      throw e
    }
    const outcome = await trainer.run()
    if (outcome.status === 'stopped' && outcome.step > 0) {
      try {
        const cp = await trainer.checkpoint()
        this.#post({ type: 'stop-checkpoint', meta: cp.meta, weights: cp.weights, optimizerState: cp.optimizerState }, [cp.weights, cp.optimizerState])
      } catch (e) {
        // Said, not swallowed: the run then ends failed with this reason (it resumes from its last saved checkpoint).
        this.#post({ type: 'stop-checkpoint-failed', reason: e instanceof Error ? e.message : String(e) })
      }
    }
    trainer.dispose()
    model.dispose()
  }
}
