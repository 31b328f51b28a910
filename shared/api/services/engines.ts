/**
 * Training engines: TF.js in the app (the Train view's worker) and PyTorch, run by the main side as a child process
 * (`python train.py`, or torchrun with N processes) on the project `studio export pytorch` writes, in the run's
 * folder (`projects/<project>/runs/<run>/pytorch/`). Its metrics.jsonl is tailed into the same run record as an
 * in-app run's (shared/train RunRecorder over the runs service): live charts, ETA, images/s, best epoch. `best.pt`
 * / `last.pt` become the run's studio checkpoints (convert.py), so the run detail and the TF.js export work on it.
 *
 * A PyTorch run's snapshot is the Train view's (shared/train/run-snapshot.ts) plus `engine`: what was asked
 * (`{ name: 'pytorch', processes, device, amp }`) and, once the child reported it, what ran (torch and python
 * versions, device names, world size: run.json's `engine`).
 */
import { z } from 'zod'
import { defineService, method } from '../contract'
import { entityId } from './projects'
import type { CheckpointInfo, Run, RunStatus } from './runs'

export const ENGINE_IDS = ['tfjs', 'pytorch'] as const
export type EngineId = (typeof ENGINE_IDS)[number]

/** What a probe of one Python interpreter found (`python -c "import torch ..."`). */
export interface PythonProbe {
  /** The interpreter as tried (a path, or a name looked up on PATH). */
  readonly interpreter: string
  /** Where the candidate came from: the interpreter set in the app, or the search (PATH, /usr/bin/python3). */
  readonly source: 'setting' | 'search'
  /** Python's version (e.g. "3.11.2"); null when the interpreter did not run. */
  readonly python: string | null
  /** torch.__version__ (e.g. "1.13.0"); null when torch could not be imported. */
  readonly torch: string | null
  /** 'cuda' when torch sees a CUDA device, else 'cpu'. */
  readonly device: 'cpu' | 'cuda' | null
  /** CUDA device names (torch.cuda.get_device_name), empty on the CPU. */
  readonly deviceNames: string[]
  /** The processor as train.py names it on the CPU ("CPU (<this>)"): platform.processor() or the machine type. */
  readonly cpuName: string | null
  /** Why this interpreter cannot train (not found, no torch, timed out), null when it can. */
  readonly problem: string | null
}

export interface EngineInfo {
  readonly id: EngineId
  /** What the Train view shows: "TF.js (in the app)", "PyTorch (python 3.11, torch 1.13, CPU)", "PyTorch (not found)". */
  readonly label: string
  readonly available: boolean
  /** Why it is not available and how to install it (null when available). */
  readonly reason: string | null
  /** PyTorch only: the interpreter used (the first candidate with torch), null when none has it. */
  readonly python: PythonProbe | null
  /** PyTorch only: every candidate tried, in order (what the "not found" message is made of). */
  readonly tried: PythonProbe[]
  /** PyTorch only: the interpreter set in the app (null: search PATH and /usr/bin/python3). */
  readonly interpreterSetting: string | null
}

/** A PyTorch run the main side is running now. */
export interface ActiveEngineRun {
  readonly runId: number
  readonly projectId: number
  /** The run's export folder (train.py, metrics.jsonl, last.pt, ...). */
  readonly folder: string
  readonly processes: number
  readonly pid: number | null
  /** Stop was asked for; the child is finishing its step and writing last.pt. */
  readonly stopping: boolean
  readonly startedAt: string
}

export interface StartedEngineRun {
  readonly run: Run
  readonly folder: string
  /** The command line the child was started with (interpreter first). */
  readonly command: string[]
}

export interface ImportedResults {
  readonly run: Run
  /** A new run was created (false: an earlier import or the runner's run was updated). */
  readonly created: boolean
  /** Metric points written by this import (0 when nothing new was in metrics.jsonl). */
  readonly points: number
  /** Checkpoints converted from best.pt / last.pt by this import (none when they did not change). */
  readonly checkpoints: CheckpointInfo[]
  /** The run's status after the import (run.json's pytorchRun status). */
  readonly status: RunStatus
  readonly folder: string
  /** What the import could not do, in words (e.g. no Python with torch to convert best.pt / last.pt). */
  readonly notes: string[]
}

const absolutePath = z.string().trim().min(1, 'Give the path').max(4096)

/**
 * Engines: `list` (both engines with their labels; the PyTorch probe is cached until `refresh` or
 * `setInterpreter`), `setInterpreter` (the Python to use, kept in the app's settings; null to search again),
 * `startPytorch` (creates the run from the Train view's snapshot, exports the project into the run's folder, starts
 * the child and answers once it is started; the run then records itself), `resumePytorch` (a stopped or failed
 * PyTorch run continues from its last.pt: no gap or duplicate in its metrics), `stop` (SIGTERM: the child finishes its
 * step, writes last.pt and the run ends stopped with that checkpoint; answers the run once it ended), `active`
 * (the PyTorch runs in progress), and `importResults` (a PyTorch project folder's metrics.jsonl, run.json and
 * best.pt/last.pt into a run: idempotent, a second import appends only what is new).
 */
export const enginesContract = defineService(
  'engines',
  {
    list: method<EngineInfo[]>()(z.object({ refresh: z.boolean().optional() })),
    setInterpreter: method<EngineInfo[]>()(z.object({ path: absolutePath.nullable() })),
    startPytorch: method<StartedEngineRun>()(
      z.object({
        projectId: entityId,
        name: z.string().trim().min(1, 'Run name must not be empty').max(200).optional(),
        groupId: entityId.optional(),
        /** The run snapshot, as the Train view builds it for runs.create (buildRunSnapshot). */
        config: z.record(z.string(), z.unknown(), { error: 'config must be an object (the run snapshot)' }),
        architectureVersionId: entityId.optional(),
        datasetId: entityId,
        pipelineVersionId: entityId.optional(),
        /** 1: `python train.py`; N > 1: torchrun --standalone --nproc-per-node N (DistributedDataParallel). */
        processes: z.number().int().min(1).max(64).default(1),
        device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
        /** Mixed precision (CUDA only; train.py refuses it on the CPU). */
        amp: z.boolean().default(false),
      }),
    ),
    /** A stopped or failed PyTorch run goes on from its folder's last.pt (train.py --resume), as it was started. */
    resumePytorch: method<StartedEngineRun>()(z.object({ runId: entityId })),
    stop: method<Run>()(z.object({ runId: entityId })),
    active: method<ActiveEngineRun[]>()(z.object({})),
    importResults: method<ImportedResults>()(
      z.object({
        /** The PyTorch project folder (absolute): run.json, metrics.jsonl, best.pt / last.pt. */
        folder: absolutePath,
        /** The project of a new run (default: the run's own project when run.json names a run of this studio). */
        projectId: entityId.optional(),
      }),
    ),
  },
  {
    /** The engine list changed (interpreter set, probe refreshed). */
    onDidChangeEngines: z.object({ engines: z.array(z.custom<EngineInfo>()) }),
    /** A PyTorch run started or ended (its record changes come as runs.onDidChange / onDidAppendMetrics). */
    onDidChangeActive: z.object({ runId: z.number(), active: z.boolean() }),
    /** Lines the child wrote (stdout / stderr), for a run log. */
    onDidOutput: z.object({ runId: z.number(), stream: z.enum(['stdout', 'stderr']), text: z.string() }),
  },
)
