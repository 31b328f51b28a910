/**
 * The live view model of the run this page trains: the `useTraining` store the Train section, the top bar's pill
 * and the Procedure cards read, and LiveView, which turns the engine's messages into it (chart series batched to
 * the store about every publishMs, phase, progress, ETA, best epoch). What is recorded lives elsewhere
 * (shared/train/recorder.ts); this is only what the page shows.
 */
import { create } from 'zustand'
import type { RunStatus } from '@shared/api'
import type { TrainMessage } from '@shared/train/messages'
import type { BackendChoice } from './protocol'
import { emptySteps } from './series'
import type { EpochRow, StepSeries } from './series'

export type LivePhase = 'preparing' | 'backend' | 'data' | 'compile' | 'running' | 'paused' | 'stopping' | 'ended'
export type LiveOutcome = 'completed' | 'stopped' | 'failed'

export interface LiveRun {
  readonly runId: number
  readonly projectId: number
  readonly name: string
  readonly phase: LivePhase
  readonly outcome: LiveOutcome | null
  readonly message: string | null
  readonly backendRequested: BackendChoice
  readonly backend: string | null
  readonly adapter: string | null
  readonly wasmThreads: number | null
  readonly resumedFromStep: number | null
  readonly totalSteps: number
  readonly stepsPerEpoch: number
  readonly epochs: number
  readonly step: number
  readonly epoch: number
  /** Training time of earlier sessions of this run plus this session's finished segments (ms). */
  readonly activeMs: number
  /** Start (now()) of the segment running now, null when paused or ended. */
  readonly segmentStart: number | null
  /** Mean milliseconds per step recently (for the ETA), null until known. */
  readonly msPerStep: number | null
  readonly steps: StepSeries
  readonly epochRows: readonly EpochRow[]
  readonly bestValAcc: number | null
  readonly bestEpoch: number | null
  readonly persistError: string | null
}

interface TrainingState {
  live: LiveRun | null
  /** Run ids whose resume is being prepared (so the list does not offer it twice). */
  busy: boolean
  /** Set when a reload of this tab resumed its run automatically (shown on that run's live panel). */
  notice?: { readonly runId: number; readonly text: string } | null
}

export const useTraining = create<TrainingState>(() => ({ live: null, busy: false, notice: null }))

export function elapsedMs(live: LiveRun, now: number): number {
  return live.activeMs + (live.segmentStart === null ? 0 : Math.max(0, now - live.segmentStart))
}

export function etaMs(live: LiveRun): number | null {
  if (live.msPerStep === null || live.phase === 'ended') return null
  const left = Math.max(0, live.totalSteps - live.step)
  // No steps left: the run validates and saves its last checkpoint, which the step time does not estimate.
  return left === 0 && liveActivity(live) !== null ? null : left * live.msPerStep
}

/**
 * What a running run does between steps, in the words of its status: 'validating' after an epoch's last step
 * until that epoch's row arrives (the worker evaluates the validation split), 'finishing' after the last epoch's
 * row until the run ends (the last checkpoint is saved); null while it trains (or is not running).
 */
export function liveActivity(live: Pick<LiveRun, 'phase' | 'step' | 'totalSteps' | 'stepsPerEpoch' | 'epoch' | 'epochRows'>): 'validating' | 'finishing' | null {
  if (live.phase !== 'running' || live.step <= 0) return null
  const atEpochEnd = live.step === live.totalSteps || (live.stepsPerEpoch > 0 && live.step % live.stepsPerEpoch === 0)
  if (!atEpochEnd) return null
  const lastRow = live.epochRows[live.epochRows.length - 1]
  if (lastRow === undefined || lastRow.step < live.step) return 'validating'
  return live.step === live.totalSteps ? 'finishing' : null
}

/** Statuses a run can be resumed from when no worker of this page trains it. */
export function isResumable(status: RunStatus, live: boolean): boolean {
  if (live) return false
  return status === 'running' || status === 'paused' || status === 'stopped' || status === 'failed' || status === 'queued'
}

/** 'interrupted': the database says it trains, but no worker in this page does. */
export function displayStatus(status: RunStatus, live: boolean): RunStatus | 'interrupted' {
  if (!live && (status === 'running' || status === 'paused')) return 'interrupted'
  return status
}

/** Keeps the store's `live` up to date from the engine's messages (one run at a time). */
export class LiveView {
  readonly #now: () => number
  readonly #publishMs: number
  #live: LiveRun | null = null
  #pendingSteps: StepSeries = emptySteps()
  #publishTimer: ReturnType<typeof setTimeout> | null = null
  #lastStepAt: number | null = null
  constructor(now: () => number, publishMs: number) {
    this.#now = now
    this.#publishMs = publishMs
  }

  get live(): LiveRun | null {
    return this.#live
  }

  /** Shows a run being prepared (its history up to where it continues). */
  begin(live: LiveRun): void {
    this.#pendingSteps = emptySteps()
    this.#lastStepAt = null
    this.#live = live
    this.publish()
  }

  update(patch: Partial<LiveRun>): void {
    if (!this.#live) return
    this.#live = { ...this.#live, ...patch }
    this.publish()
  }

  /** Forgets the run (the store's live becomes null). */
  clear(): void {
    this.#live = null
    useTraining.setState({ live: null })
  }

  onMessage(m: TrainMessage): void {
    const live = this.#live
    if (!live) return
    const now = this.#now()
    switch (m.type) {
      case 'started':
        this.#lastStepAt = now
        this.update({
          phase: live.phase === 'stopping' ? 'stopping' : 'running',
          totalSteps: m.totalSteps,
          stepsPerEpoch: m.stepsPerEpoch,
          epochs: m.epochs,
          step: m.startStep,
          epoch: m.startEpoch,
          segmentStart: now,
        })
        return
      case 'step': {
        const s = this.#pendingSteps
        s.step.push(m.step)
        s.loss.push(m.loss)
        s.acc.push(m.acc)
        s.lr.push(m.lr)
        s.ips.push(m.imagesPerSec)
        let msPerStep = live.msPerStep
        // The first step of a session includes shader compilation: leave it out of the ETA.
        if (this.#lastStepAt !== null && m.step !== (live.resumedFromStep ?? 0) + 1) {
          const dt = now - this.#lastStepAt
          msPerStep = msPerStep === null ? dt : msPerStep * 0.8 + dt * 0.2
        }
        this.#lastStepAt = now
        this.#live = { ...live, step: m.step, epoch: m.epoch, msPerStep }
        this.#schedulePublish()
        return
      }
      case 'epoch': {
        const row: EpochRow = { epoch: m.epoch, step: m.step, trainLoss: m.trainLoss, trainAcc: m.trainAcc, valLoss: m.valLoss, valAcc: m.valAcc }
        const better = m.valAcc !== null && (live.bestValAcc === null || m.valAcc > live.bestValAcc)
        this.update({ epoch: m.epoch, epochRows: [...live.epochRows, row], ...(better ? { bestValAcc: m.valAcc, bestEpoch: m.epoch } : {}) })
        return
      }
      case 'paused':
        this.update({ phase: 'paused', activeMs: elapsedMs(live, now), segmentStart: null })
        return
      case 'resumed':
        this.#lastStepAt = now
        this.update({ phase: 'running', segmentStart: now })
        return
      case 'done':
      case 'stopped':
      case 'failed': {
        const status: LiveOutcome = m.type === 'done' ? 'completed' : m.type
        this.update({ outcome: status, message: m.reason, activeMs: elapsedMs(live, now), segmentStart: null, step: m.step })
        return
      }
      case 'checkpoint':
        return
    }
  }

  /** The run ended (the worker exited): its outcome and final training time. */
  end(outcome: LiveOutcome, message: string): void {
    const live = this.#live
    if (!live) return
    this.update({ phase: 'ended', outcome, message, activeMs: Math.round(elapsedMs(live, this.#now())), segmentStart: null })
  }

  #schedulePublish(): void {
    if (this.#publishTimer !== null) return
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = null
      this.publish()
    }, this.#publishMs)
  }

  /** Moves pending step points into the live series (new arrays, for React) and updates the store. */
  publish(): void {
    if (this.#publishTimer !== null) {
      clearTimeout(this.#publishTimer)
      this.#publishTimer = null
    }
    const live = this.#live
    if (!live) return
    const p = this.#pendingSteps
    if (p.step.length > 0) {
      const s = live.steps
      this.#live = {
        ...live,
        steps: { step: s.step.concat(p.step), loss: s.loss.concat(p.loss), acc: s.acc.concat(p.acc), lr: s.lr.concat(p.lr), ips: s.ips.concat(p.ips) },
      }
      this.#pendingSteps = emptySteps()
    }
    useTraining.setState({ live: this.#live })
  }
}
