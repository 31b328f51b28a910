/**
 * `studio runs list`: the training runs of a data folder (all projects, or one), newest first.
 * `studio runs import <folder>`: a PyTorch project's results (metrics.jsonl, run.json, best.pt / last.pt) into a
 * run, idempotently (engines.importResults: a second import writes only what is new).
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiError, datasetsContract, enginesContract, projectsContract, runsContract, type RunSummary } from '@shared/api'
import { defaultDataDir } from '../host/paths'
import { findProject, withStudio } from './train'
import { UsageError, type Subcommand } from './types'

const usage = `Usage: studio runs list [--project <name|id>] [--data-dir <dir>] [--json]
       studio runs import <folder> [--project <name|id>] [--data-dir <dir>] [--json]

list: training runs (from the app or \`studio train\`): name, status, project, dataset, best validation accuracy
and its epoch, backend, duration.
import: a PyTorch project folder (\`studio export pytorch\`, trained with python train.py or torchrun) into a run:
its metrics.jsonl, its status and engine from run.json, best.pt / last.pt as studio checkpoints (converted with the
folder's convert.py by the Python with PyTorch the app finds). Importing again updates the same run with only
what is new, so a run still training can be imported as often as you like.
  --project   list: only this project's runs (default: all projects); import: the project of a new run
              (default: the project of the run the folder was exported from)
  --data-dir  the studio data folder (default: the app's, ${defaultDataDir()})
  --json      machine-readable output`

export interface RunListEntry {
  readonly id: number
  readonly name: string
  readonly status: RunSummary['status']
  readonly project: { readonly id: number; readonly name: string }
  readonly dataset: { readonly id: number; readonly name: string | null } | null
  readonly bestValAccuracy: number | null
  readonly bestEpoch: number | null
  readonly finalLoss: number | null
  readonly backend: string | null
  readonly durationMs: number
  readonly createdAt: string
  readonly appVersion: string
}

function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s % 60).padStart(2, '0')} s`
}

export function renderRuns(list: readonly RunListEntry[]): string {
  if (list.length === 0) return 'No runs yet: train one with `studio train --template <name> --dataset <name|id>`.\n'
  const rows = list.map((r) => [
    String(r.id),
    r.name,
    r.status,
    r.project.name,
    r.dataset ? (r.dataset.name ?? `#${r.dataset.id} (deleted)`) : '-',
    r.bestValAccuracy === null ? '-' : `${(r.bestValAccuracy * 100).toFixed(2)}% @ ${r.bestEpoch ?? '?'}`,
    r.backend ?? '-',
    formatDuration(r.durationMs),
  ])
  return table(['Id', 'Name', 'Status', 'Project', 'Dataset', 'Best val acc', 'Backend', 'Duration'], rows, [true, false, false, false, false, true, false, true]).join('\n') + '\n'
}

export const runsCommand: Subcommand = {
  name: 'runs',
  summary: 'List training runs, or import a PyTorch project\'s results (studio runs list | import <folder>)',
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { project: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
    })
    const { values, positionals } = parsed
    const [action, ...rest] = positionals
    if (action !== 'list' && action !== 'import') throw new UsageError(action === undefined ? 'runs needs an action: list or import' : `unknown runs action ${JSON.stringify(action)}: use list or import`)
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
    if (action === 'import') {
      if (rest.length !== 1) throw new UsageError(`runs import takes one folder, received ${rest.length === 0 ? 'none' : rest.map((r) => JSON.stringify(r)).join(' ')}`)
      const folder = resolve(rest[0]!)
      return withStudio(dataDir, async (studio) => {
        const { clientFor } = await import('../rpc/direct-client')
        const project = values.project !== undefined ? await findProject(clientFor(studio, projectsContract), values.project, false) : null
        let r
        try {
          r = await clientFor(studio, enginesContract).importResults({ folder, ...(project ? { projectId: project.id } : {}) })
        } catch (err) {
          if (err instanceof ApiError && err.code !== 'internal') throw new UsageError(err.message + (err.issues.some((i) => i.path === 'projectId') ? ' (--project <name|id>)' : ''))
          throw err
        }
        if (values.json) {
          io.stdout(JSON.stringify({ runId: r.run.id, name: r.run.name, created: r.created, status: r.status, points: r.points, checkpoints: r.checkpoints.map((c) => ({ kind: c.kind, epoch: c.epoch, step: c.step })), notes: r.notes }) + '\n')
        } else {
          const cps = r.checkpoints.length ? `, checkpoints ${r.checkpoints.map((c) => `${c.kind} (epoch ${c.epoch}, step ${c.step})`).join(', ')}` : ', no new checkpoints'
          io.stdout(`${r.created ? 'Created' : 'Updated'} run ${r.run.id} "${r.run.name}" (${r.status}): ${r.points} new points${cps}\n`)
          for (const note of r.notes) io.stderr(`studio runs import: ${note}\n`)
        }
        return 0
      })
    }
    if (rest.length) throw new UsageError(`runs list takes no arguments, received ${rest.join(' ')}`)
    return withStudio(dataDir, async (studio) => {
      const { clientFor } = await import('../rpc/direct-client')
      const projectsApi = clientFor(studio, projectsContract)
      const runs = clientFor(studio, runsContract)
      const projects = values.project !== undefined ? [(await findProject(projectsApi, values.project, false))!] : await projectsApi.list({})
      const datasetNames = new Map((await clientFor(studio, datasetsContract).list({})).map((d) => [d.id, d.name]))
      const entries: RunListEntry[] = []
      for (const p of projects) {
        for (const r of await runs.list({ projectId: p.id })) {
          entries.push({
            id: r.id,
            name: r.name,
            status: r.status,
            project: { id: p.id, name: p.name },
            dataset: r.datasetId === null ? null : { id: r.datasetId, name: datasetNames.get(r.datasetId) ?? null },
            bestValAccuracy: r.bestValAccuracy,
            bestEpoch: r.bestEpoch,
            finalLoss: r.finalLoss,
            backend: r.backend,
            durationMs: r.durationMs,
            createdAt: r.createdAt,
            appVersion: r.appVersion,
          })
        }
      }
      entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
      io.stdout(values.json ? JSON.stringify(entries, null, 2) + '\n' : renderRuns(entries))
      return 0
    })
  },
}
