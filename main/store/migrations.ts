/**
 * Numbered, append-only schema migrations. Never edit a shipped migration: add the next number.
 * Applied at start in one transaction and recorded in `schema_migrations`. A migration is SQL, a code step
 * (`run`, for data that SQL cannot derive, e.g. from JSON snapshots), or both (SQL first); all in the same
 * transaction, so a failing step leaves the database at the version before.
 */
import type Database from 'better-sqlite3'
import { deriveFacts, derivedSetAt } from '../services/run-facts'
import { createChunkStore, STRIDE } from '../services/metric-chunks'
import { createStatsStore, type PointSource } from '../services/runs-stats'
import { settingsKey } from '@shared/runs'

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql?: string
  readonly run?: (db: Database.Database) => void
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: /* sql */ `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE projects (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  last_opened_at TEXT
) STRICT;
CREATE INDEX projects_by_last_opened ON projects (last_opened_at DESC, created_at DESC);

-- Architecture documents: one row per design, its history as versions (JSON graph documents).
CREATE TABLE architectures (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX architectures_by_project ON architectures (project_id, updated_at DESC);

CREATE TABLE architecture_versions (
  id              INTEGER PRIMARY KEY,
  architecture_id INTEGER NOT NULL REFERENCES architectures (id) ON DELETE CASCADE,
  version         INTEGER NOT NULL,
  label           TEXT,             -- a named version; NULL for autosaves
  document        TEXT NOT NULL,    -- JSON graph document (carries its own format version)
  created_at      TEXT NOT NULL,
  UNIQUE (architecture_id, version)
) STRICT;

-- Datasets live in a library shared by all projects (the CLI imports without a project).
CREATE TABLE datasets (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  source      TEXT NOT NULL,        -- 'folder' | 'mnist' | ...
  source_path TEXT,
  status      TEXT NOT NULL,        -- 'importing' | 'ready' | 'failed'
  height      INTEGER NOT NULL,
  width       INTEGER NOT NULL,
  channels    INTEGER NOT NULL,
  aspect      TEXT NOT NULL,        -- 'resize' | 'center-crop' | 'pad'
  classes     TEXT NOT NULL,        -- JSON array of class names
  stats       TEXT,                 -- JSON: counts, sizes, per-channel mean/std of the training split
  cache_path  TEXT,                 -- relative to the data folder
  item_count  INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX datasets_by_project ON datasets (project_id);

CREATE TABLE dataset_items (
  dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,      -- position in the cache file
  class      INTEGER NOT NULL,
  split      TEXT NOT NULL,         -- 'train' | 'val' | 'test'
  source     TEXT,                  -- original relative path
  PRIMARY KEY (dataset_id, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX dataset_items_by_split ON dataset_items (dataset_id, split, class);

CREATE TABLE pipelines (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX pipelines_by_project ON pipelines (project_id);

CREATE TABLE pipeline_versions (
  id          INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  document    TEXT NOT NULL,        -- JSON augmentation pipeline
  created_at  TEXT NOT NULL,
  UNIQUE (pipeline_id, version)
) STRICT;

CREATE TABLE runs (
  id                   INTEGER PRIMARY KEY,
  project_id           INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  group_id             INTEGER,     -- a sweep / search / check that produced it
  name                 TEXT NOT NULL,
  status               TEXT NOT NULL, -- 'queued' | 'running' | 'paused' | 'stopped' | 'completed' | 'failed'
  config               TEXT NOT NULL, -- JSON snapshot: architecture document, dataset + split, pipeline, hyperparameters, seed
  architecture_version_id INTEGER REFERENCES architecture_versions (id) ON DELETE SET NULL,
  dataset_id           INTEGER REFERENCES datasets (id) ON DELETE SET NULL,
  pipeline_version_id  INTEGER REFERENCES pipeline_versions (id) ON DELETE SET NULL,
  backend              TEXT,
  app_version          TEXT NOT NULL,
  created_at           TEXT NOT NULL,
  started_at           TEXT,
  ended_at             TEXT,
  duration_ms          INTEGER NOT NULL DEFAULT 0,
  summary              TEXT,        -- JSON: best/final metrics, initial loss, throughput
  best_val_accuracy    REAL,
  best_epoch           INTEGER,
  final_loss           REAL,
  notes                TEXT,
  tags                 TEXT,        -- JSON array
  starred              INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX runs_by_project ON runs (project_id, created_at DESC);
CREATE INDEX runs_by_group ON runs (group_id);

CREATE TABLE run_groups (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,         -- 'lr-sweep' | 'search' | 'check' ...
  name       TEXT NOT NULL,
  config     TEXT NOT NULL,
  state      TEXT,
  created_at TEXT NOT NULL
) STRICT;

-- Metric names are interned so the metric table stays narrow; built for millions of rows.
CREATE TABLE metric_names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name_id INTEGER NOT NULL REFERENCES metric_names (id),
  step    INTEGER NOT NULL,
  epoch   REAL NOT NULL,
  value   REAL NOT NULL,
  time    REAL NOT NULL,            -- seconds since the run started
  PRIMARY KEY (run_id, name_id, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,         -- 'last' | 'best' | 'periodic'
  epoch      INTEGER NOT NULL,
  step       INTEGER NOT NULL,
  path       TEXT NOT NULL,         -- relative to the data folder
  bytes      INTEGER NOT NULL,
  metrics    TEXT,                  -- JSON
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX checkpoints_by_run ON checkpoints (run_id, kind, epoch);
`,
  },
  {
    version: 2,
    name: 'dataset imports',
    sql: /* sql */ `
-- The process running an import (status 'importing'); rows of a process that is gone are removed at start.
ALTER TABLE datasets ADD COLUMN import_pid INTEGER;
-- JSON: { skipped: [{ path, reason }], notFollowed: [{ path, reason }] } of the import.
ALTER TABLE datasets ADD COLUMN report TEXT;
-- JSON: { ratios: { train, val, test }, seed } the split was drawn with.
ALTER TABLE datasets ADD COLUMN split_config TEXT;
CREATE INDEX datasets_by_status ON datasets (status);
`,
  },
  {
    version: 3,
    name: 'runs table, metric stats, evaluations',
    sql: /* sql */ `
-- Denormalized from the run's config snapshot (and the graph in it) so the runs table sorts and filters without
-- parsing configs; filled by the runs service at creation, and by migration 6 for runs still marked derived = 0.
ALTER TABLE runs ADD COLUMN dataset_name TEXT;
ALTER TABLE runs ADD COLUMN architecture_name TEXT;
ALTER TABLE runs ADD COLUMN architecture_version INTEGER;
ALTER TABLE runs ADD COLUMN optimizer TEXT;
ALTER TABLE runs ADD COLUMN learning_rate REAL;
ALTER TABLE runs ADD COLUMN batch_size INTEGER;
ALTER TABLE runs ADD COLUMN epochs INTEGER;
ALTER TABLE runs ADD COLUMN weight_decay REAL;
ALTER TABLE runs ADD COLUMN schedule TEXT;
ALTER TABLE runs ADD COLUMN param_count INTEGER;
ALTER TABLE runs ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_to_derive ON runs (id) WHERE derived = 0;

-- Per run and metric name: count, first/last point, min and max (with their steps). Kept up to date by
-- appendMetrics / truncateMetrics, so "last/best value" columns and thresholds never scan the metrics table.
CREATE TABLE run_metric_stats (
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name_id    INTEGER NOT NULL REFERENCES metric_names (id),
  count      INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step  INTEGER NOT NULL,
  last_epoch REAL NOT NULL,
  last_value REAL NOT NULL,
  min_value  REAL NOT NULL,
  min_step   INTEGER NOT NULL,
  max_value  REAL NOT NULL,
  max_step   INTEGER NOT NULL,
  PRIMARY KEY (run_id, name_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_metric_stats_by_name ON run_metric_stats (name_id);

-- Evaluation of a checkpoint on a split ('val', or 'test' when asked): confusion matrix and misclassified samples.
-- checkpoint_id is cleared when that checkpoint is replaced or deleted; its kind/epoch/step stay.
CREATE TABLE evaluations (
  id                  INTEGER PRIMARY KEY,
  run_id              INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  checkpoint_id       INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL,
  checkpoint_kind     TEXT,
  checkpoint_epoch    INTEGER,
  checkpoint_step     INTEGER,
  split               TEXT NOT NULL,    -- 'val' | 'test'
  count               INTEGER NOT NULL, -- evaluated images (the confusion matrix sums to it)
  loss                REAL,
  accuracy            REAL,
  classes             TEXT NOT NULL,    -- JSON array of class names
  confusion           TEXT NOT NULL,    -- JSON C x C, [true][predicted]
  misclassified       TEXT NOT NULL,    -- JSON columnar { index, label, predicted, confidence }, most confident first
  misclassified_total INTEGER NOT NULL,
  created_at          TEXT NOT NULL
) STRICT;
CREATE INDEX evaluations_by_run ON evaluations (run_id, created_at);
CREATE INDEX evaluations_by_checkpoint ON evaluations (checkpoint_id);
`,
  },
  {
    version: 4,
    name: 'evaluations with test-time augmentation',
    sql: /* sql */ `
-- The same evaluation with the test-time augmentation of the run's pipeline (softmax probabilities averaged over
-- its views); loss/accuracy above stay the numbers without it. tta_state: 'applied' (the columns below are set),
-- 'none' (the run's pipeline has no TTA), 'unknown' (stored before evaluation applied TTA).
ALTER TABLE evaluations ADD COLUMN tta_state TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE evaluations ADD COLUMN tta_spec TEXT;     -- JSON TtaSpec
ALTER TABLE evaluations ADD COLUMN tta_views INTEGER;
ALTER TABLE evaluations ADD COLUMN tta_loss REAL;
ALTER TABLE evaluations ADD COLUMN tta_accuracy REAL;
`,
  },
  {
    version: 5,
    name: 'train forms, saved searches',
    sql: /* sql */ `
-- The Train form of each project as last typed (JSON of its fields), so it survives a restart of either host.
CREATE TABLE train_forms (
  project_id INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  form       TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- Searches are run_groups with kind 'search', name = the search's key, config = its setup and base configuration,
-- state = the search state (trials pending and done). The newest updated_at is the project's current search.
ALTER TABLE run_groups ADD COLUMN updated_at TEXT;
UPDATE run_groups SET updated_at = created_at;
CREATE UNIQUE INDEX run_groups_by_name ON run_groups (project_id, kind, name);
CREATE INDEX run_groups_by_update ON run_groups (project_id, kind, updated_at);
`,
  },
  {
    version: 6,
    name: 'run facts and metric statistics of runs recorded before migration 3',
    // Runs recorded before migration 3 (derived = 0): their table columns from the config snapshot, and the
    // statistics of their metrics. Until this migration the runs service did it at every start.
    run(db) {
      const pending = db.prepare('SELECT id, config, architecture_version_id FROM runs WHERE derived = 0').all() as {
        id: number
        config: string
        architecture_version_id: number | null
      }[]
      if (!pending.length) return
      const write = db.prepare(`UPDATE runs SET ${derivedSetAt(6)}, derived = 1 WHERE id = @id`)
      const stats = createStatsStore(db, metricsTableSource(db))
      for (const r of pending) {
        let config: unknown = null
        try {
          config = JSON.parse(r.config)
        } catch {
          // A damaged snapshot leaves the columns empty.
        }
        write.run({ id: r.id, ...deriveFacts(db, config, r.architecture_version_id) })
        stats.rebuildRun(r.id)
      }
    },
  },
  {
    version: 7,
    name: 'the engine of every run (tfjs, pytorch) as a runs table fact',
    sql: /* sql */ `ALTER TABLE runs ADD COLUMN engine TEXT;`,
    // Every run so far: its snapshot's engine (runs before the PyTorch engine are all TF.js ones).
    run(db) {
      const rows = db.prepare('SELECT id, config, architecture_version_id FROM runs').all() as { id: number; config: string; architecture_version_id: number | null }[]
      const write = db.prepare('UPDATE runs SET engine = ? WHERE id = ?')
      for (const r of rows) {
        let config: unknown = null
        try {
          config = JSON.parse(r.config)
        } catch {
          // A damaged snapshot leaves the column empty.
        }
        write.run(deriveFacts(db, config, r.architecture_version_id).engine, r.id)
      }
    },
  },
  {
    version: 8,
    name: 'settings fingerprint of runs, metrics by epoch',
    sql: /* sql */ `
-- The fingerprint of the run's config snapshot without its seed (shared/runs settingsKey), so the runs table
-- groups "everything except the seed" without parsing configs; written at creation, backfilled below.
ALTER TABLE runs ADD COLUMN settings_key TEXT;
-- A metric column "value at epoch N" finds each run's point with one seek (steps already have the primary key).
CREATE INDEX metrics_by_epoch ON metrics (run_id, name_id, epoch);
`,
    run(db) {
      const write = db.prepare('UPDATE runs SET settings_key = ? WHERE id = ?')
      for (const r of db.prepare('SELECT id, config FROM runs').all() as { id: number; config: string }[]) {
        let config: unknown = null
        try {
          config = JSON.parse(r.config)
        } catch {
          // A damaged snapshot has no fingerprint (its run is grouped alone under "no recorded settings").
        }
        write.run(settingsKey(config), r.id)
      }
    },
  },
  {
    version: 9,
    name: 'metric points packed in chunks',
    sql: /* sql */ `
-- Metric points as chunks (main/services/metric-chunks.ts): per run and name, runs of up to 256 points in step
-- order packed in one blob of little-endian float64 [step, epoch, value, time] quadruples, instead of a row per
-- point (two B-tree entries of ~68 bytes a point in all). The chunks of a run and name cover disjoint increasing
-- step ranges; min_epoch/max_epoch let "value at epoch N" skip chunks.
CREATE TABLE metric_chunks (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name_id    INTEGER NOT NULL REFERENCES metric_names (id),
  first_step INTEGER NOT NULL,
  last_step  INTEGER NOT NULL,
  min_epoch  REAL NOT NULL,
  max_epoch  REAL NOT NULL,
  count      INTEGER NOT NULL,
  data       BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX metric_chunks_by_step ON metric_chunks (run_id, name_id, first_step);
`,
    // Every stored point moves into chunks, then the table of rows goes.
    run(db) {
      const chunks = createChunkStore(db)
      const source = metricsTableSource(db)
      const pairs = db.prepare('SELECT DISTINCT run_id, name_id FROM metrics ORDER BY run_id, name_id').raw().all() as [number, number][]
      for (const [runId, nameId] of pairs) chunks.insertSorted(runId, nameId, source.series(runId, nameId))
      db.exec('DROP INDEX IF EXISTS metrics_by_epoch; DROP TABLE metrics;')
    },
  },
  {
    version: 10,
    name: 'the runs table read from one covering index',
    sql: /* sql */ `
-- Every column the runs table reads (main/services/runs-table.ts), so it reads this index alone: in a runs row
-- the config snapshot (about 11 KB with a ResNet-20 graph) comes before the fact columns added since, and reading
-- those from the table walks the snapshot's overflow pages (10,000 runs: 250 -> 120 ms).
CREATE INDEX runs_table ON runs (
  project_id,
  group_id,
  name,
  status,
  created_at,
  started_at,
  ended_at,
  duration_ms,
  dataset_id,
  architecture_version_id,
  backend,
  tags,
  starred,
  notes,
  dataset_name,
  architecture_name,
  architecture_version,
  optimizer,
  learning_rate,
  batch_size,
  epochs,
  weight_decay,
  schedule,
  param_count,
  engine,
  settings_key,
  best_val_accuracy,
  best_epoch,
  final_loss
);
`,
  },
]

/** Migration 6's points: the table of one row per point that migration 9 replaced. */
function metricsTableSource(db: Database.Database): PointSource {
  const rows = db.prepare('SELECT step, epoch, value, time FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY step').raw()
  const names = db.prepare('SELECT DISTINCT name_id FROM metrics WHERE run_id = ?').pluck()
  return {
    series: (runId, nameId) => {
      const r = rows.all(runId, nameId) as number[][]
      const out = new Float64Array(r.length * STRIDE)
      r.forEach((x, i) => out.set(x, i * STRIDE))
      return out
    },
    namesOf: (runId) => names.all(runId) as number[],
  }
}

export const latestSchemaVersion = migrations.reduce((max, m) => Math.max(max, m.version), 0)
