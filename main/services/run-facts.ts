/**
 * The facts of a run kept as narrow columns of `runs`, so the runs table sorts and filters without parsing
 * configs: one descriptor per fact (its column, its API field, its SQL type, where it comes from) drives the
 * column lists of the SQL, the row types and the row-to-API mapping. `snapshot` facts are derived from the config
 * snapshot at creation (and by migration 6 for older runs); `summary` facts are written by `runs.update`.
 * Adding a fact: a migration adding its column, a line here, its field in the API types.
 */
import { graphParamCount, snapshotFacts } from '@shared/compare'
import { settingsKey } from '@shared/runs'
import type Database from 'better-sqlite3'

// The database handle (store/db.ts's Db), named here without importing store/db: migration 6 runs this code.
type Db = Database.Database

type SqlType = 'text' | 'real' | 'integer'
interface FactSpec {
  readonly field: string
  readonly type: SqlType
  readonly from: 'snapshot' | 'summary'
  /** The migration that added the column (absent: migration 3). */
  readonly since?: number
}

export const RUN_FACTS = {
  dataset_name: { field: 'datasetName', type: 'text', from: 'snapshot' },
  architecture_name: { field: 'architectureName', type: 'text', from: 'snapshot' },
  architecture_version: { field: 'architectureVersion', type: 'integer', from: 'snapshot' },
  optimizer: { field: 'optimizer', type: 'text', from: 'snapshot' },
  learning_rate: { field: 'learningRate', type: 'real', from: 'snapshot' },
  batch_size: { field: 'batchSize', type: 'integer', from: 'snapshot' },
  epochs: { field: 'epochs', type: 'integer', from: 'snapshot' },
  weight_decay: { field: 'weightDecay', type: 'real', from: 'snapshot' },
  schedule: { field: 'schedule', type: 'text', from: 'snapshot' },
  param_count: { field: 'paramCount', type: 'integer', from: 'snapshot' },
  engine: { field: 'engine', type: 'text', from: 'snapshot', since: 7 },
  /** The settings fingerprint (shared/runs settingsKey): equal for runs that differ only in their seed. */
  settings_key: { field: 'settingsKey', type: 'text', from: 'snapshot', since: 8 },
  best_val_accuracy: { field: 'bestValAccuracy', type: 'real', from: 'summary' },
  best_epoch: { field: 'bestEpoch', type: 'integer', from: 'summary' },
  final_loss: { field: 'finalLoss', type: 'real', from: 'summary' },
} as const satisfies Record<string, FactSpec>

type Facts = typeof RUN_FACTS
export type FactColumn = keyof Facts
type ValueOf<T extends SqlType> = T extends 'text' ? string : number
/** The fact columns of a `runs` row. */
export type RunFactColumns = { [K in FactColumn]: ValueOf<Facts[K]['type']> | null }
export type DerivedColumn = { [K in FactColumn]: Facts[K]['from'] extends 'snapshot' ? K : never }[FactColumn]
export type SummaryColumn = Exclude<FactColumn, DerivedColumn>
/** The facts derived from a config snapshot, by column. */
export type DerivedFacts = Pick<RunFactColumns, DerivedColumn>
/** The facts as API fields (camelCase). */
export type RunFactFields = { [K in FactColumn as Facts[K]['field']]: RunFactColumns[K] }
export type SummaryFactFields = { [K in SummaryColumn as Facts[K]['field']]: RunFactColumns[K] }

export const FACT_COLUMNS = Object.keys(RUN_FACTS) as FactColumn[]
export const DERIVED_COLUMNS = FACT_COLUMNS.filter((c): c is DerivedColumn => RUN_FACTS[c].from === 'snapshot')
export const SUMMARY_COLUMNS = FACT_COLUMNS.filter((c): c is SummaryColumn => RUN_FACTS[c].from === 'summary')

const fieldsOf = <C extends FactColumn>(row: Pick<RunFactColumns, C>, columns: readonly C[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const c of columns) out[RUN_FACTS[c].field] = row[c]
  return out
}
/** The API field (camelCase) of each fact column, in FACT_COLUMNS order. */
export const FACT_FIELDS = FACT_COLUMNS.map((c) => RUN_FACTS[c].field)
/** The summary facts of a row as API fields (what RunSummary carries). */
export const summaryFactFields = (row: Pick<RunFactColumns, SummaryColumn>): SummaryFactFields => fieldsOf(row, SUMMARY_COLUMNS) as SummaryFactFields

const sinceOf = (c: FactColumn): number => (RUN_FACTS[c] as FactSpec).since ?? 3
/** The SQL `SET` of the derived columns that exist at schema `version` (named parameters): migration 6 writes its own. */
export const derivedSetAt = (version: number): string =>
  DERIVED_COLUMNS.filter((c) => sinceOf(c) <= version)
    .map((c) => `${c} = @${c}`)
    .join(', ')
/** The SQL `SET` of the derived columns (named parameters), for `writeDerived`. */
export const DERIVED_SET = derivedSetAt(Number.POSITIVE_INFINITY)

/**
 * Reads the table facts from a config snapshot; the architecture version row fills what the snapshot lacks
 * (name, version, document), and the parameter count is computed from the graph when the snapshot has none.
 * Integer facts are rounded.
 */
export function deriveFacts(db: Db, config: unknown, architectureVersionId: number | null): DerivedFacts {
  const f = snapshotFacts(config)
  let name = f.architectureName
  let version = f.architectureVersion
  let document = f.graphDocument
  if (architectureVersionId !== null && (name === null || version === null || document === undefined)) {
    const v = db
      .prepare(
        `SELECT a.name AS name, v.version AS version, v.document AS document
         FROM architecture_versions v JOIN architectures a ON a.id = v.architecture_id WHERE v.id = ?`,
      )
      .get(architectureVersionId) as { name: string; version: number; document: string } | undefined
    if (v) {
      name ??= v.name
      version ??= v.version
      if (document === undefined) document = v.document
    }
  }
  const raw: Record<DerivedColumn, string | number | null> = {
    dataset_name: f.datasetName,
    architecture_name: name,
    architecture_version: version,
    optimizer: f.optimizer,
    learning_rate: f.learningRate,
    batch_size: f.batchSize,
    epochs: f.epochs,
    weight_decay: f.weightDecay,
    schedule: f.schedule,
    param_count: f.paramCount ?? (document !== undefined ? graphParamCount(document) : null),
    engine: f.engine,
    settings_key: settingsKey(config),
  }
  for (const c of DERIVED_COLUMNS) {
    const v = raw[c]
    if (RUN_FACTS[c].type === 'integer' && typeof v === 'number') raw[c] = Math.round(v)
  }
  return raw as DerivedFacts
}
