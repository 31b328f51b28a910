/**
 * Documents with history, per project: architecture designs and augmentation pipelines share this. A document
 * row (`architectures`, `pipelines`) has versions; `save` without a label is an autosave that updates the newest
 * version in place while it is an unnamed autosave younger than a minute, otherwise appends a version; a save
 * with a label always appends a named version (where the table has labels).
 */
import { ApiError, type VersionedDocSummary } from '@shared/api'
import type { Db } from './db'

export const AUTOSAVE_COALESCE_MS = 60_000

export interface VersionedKind<D> {
  readonly table: 'architectures' | 'pipelines'
  readonly versions: 'architecture_versions' | 'pipeline_versions'
  readonly fk: 'architecture_id' | 'pipeline_id'
  /** Whether the versions table has a `label` column (named versions). */
  readonly labels: boolean
  /** For messages: "Design", "Pipeline". */
  readonly noun: string
  /** Checks a document; throws ApiError('invalid_payload') with the reason. */
  parse(input: unknown): D
  serialize(doc: D): string
}

export type DocSummary = VersionedDocSummary

export interface DocVersion<D> {
  readonly id: number
  readonly parentId: number
  readonly version: number
  readonly label: string | null
  readonly createdAt: string
  readonly document: D
}

interface SummaryRow {
  id: number
  project_id: number
  name: string
  created_at: string
  updated_at: string
  latest_version: number
  version_count: number
}

interface VersionRow {
  id: number
  parent_id: number
  version: number
  label: string | null
  document: string
  created_at: string
}

/** What changed, for the service's `onDidChange` event (both document services send this shape). */
export interface DocChange {
  readonly projectId: number
  readonly id: number
  readonly version?: number
}

export class VersionedDocs<D> {
  constructor(
    private readonly db: Db,
    private readonly kind: VersionedKind<D>,
    private readonly onChange: (change: DocChange) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get summarySql(): string {
    const { table, versions, fk } = this.kind
    return `SELECT d.id, d.project_id, d.name, d.created_at, d.updated_at, MAX(v.version) AS latest_version, COUNT(v.id) AS version_count
      FROM ${table} d JOIN ${versions} v ON v.${fk} = d.id`
  }

  private get versionColumns(): string {
    return `id, ${this.kind.fk} AS parent_id, version, ${this.kind.labels ? 'label' : 'NULL AS label'}, document, created_at`
  }

  private toSummary = (r: SummaryRow): DocSummary => ({
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    latestVersion: r.latest_version,
    versionCount: r.version_count,
  })

  private toVersion = (r: VersionRow): DocVersion<D> => ({
    id: r.id,
    parentId: r.parent_id,
    version: r.version,
    label: r.label,
    createdAt: r.created_at,
    document: this.kind.parse(JSON.parse(r.document)),
  })

  summary(id: number): DocSummary {
    const row = this.db.prepare(`${this.summarySql} WHERE d.id = ? GROUP BY d.id`).get(id) as SummaryRow | undefined
    if (!row) throw new ApiError('not_found', `${this.kind.noun} ${id} does not exist (it may have been deleted)`)
    return this.toSummary(row)
  }

  private versionRow(id: number, version?: number): VersionRow {
    const { versions, fk } = this.kind
    const row = (
      version === undefined
        ? this.db.prepare(`SELECT ${this.versionColumns} FROM ${versions} WHERE ${fk} = ? ORDER BY version DESC LIMIT 1`).get(id)
        : this.db.prepare(`SELECT ${this.versionColumns} FROM ${versions} WHERE ${fk} = ? AND version = ?`).get(id, version)
    ) as VersionRow | undefined
    if (!row) throw new ApiError('not_found', `${this.kind.noun} ${id} has no version ${version ?? ''}`.trim())
    return row
  }

  list(projectId: number): DocSummary[] {
    const rows = this.db
      .prepare(`${this.summarySql} WHERE d.project_id = ? GROUP BY d.id ORDER BY d.updated_at DESC, d.id DESC`)
      .all(projectId) as SummaryRow[]
    return rows.map(this.toSummary)
  }

  create(projectId: number, name: string, input: unknown): DocVersion<D> {
    const doc = this.kind.parse(input)
    if (!this.db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId)) {
      throw new ApiError('not_found', `Project ${projectId} does not exist`)
    }
    const { table, versions, fk } = this.kind
    const t = this.now().toISOString()
    const id = this.db
      .transaction(() => {
        const docId = Number(
          this.db.prepare(`INSERT INTO ${table} (project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`).run(projectId, name, t, t)
            .lastInsertRowid,
        )
        this.db.prepare(`INSERT INTO ${versions} (${fk}, version, document, created_at) VALUES (?, 1, ?, ?)`).run(docId, this.kind.serialize(doc), t)
        return docId
      })
      .immediate()
    this.onChange({ projectId, id, version: 1 })
    return this.toVersion(this.versionRow(id))
  }

  get(id: number, version?: number): { summary: DocSummary; version: DocVersion<D> } {
    return { summary: this.summary(id), version: this.toVersion(this.versionRow(id, version)) }
  }

  save(id: number, input: unknown, label?: string): DocVersion<D> {
    const doc = this.kind.parse(input)
    if (label !== undefined && !this.kind.labels) throw new ApiError('invalid_payload', `${this.kind.noun} versions cannot be named`)
    this.summary(id)
    const { table, versions, fk } = this.kind
    const t = this.now()
    const saved = this.db
      .transaction(() => {
        const latest = this.versionRow(id)
        const json = this.kind.serialize(doc)
        const coalesce = label === undefined && latest.label === null && t.getTime() - Date.parse(latest.created_at) < AUTOSAVE_COALESCE_MS
        if (coalesce) {
          this.db.prepare(`UPDATE ${versions} SET document = ? WHERE id = ?`).run(json, latest.id)
        } else if (this.kind.labels) {
          this.db
            .prepare(`INSERT INTO ${versions} (${fk}, version, label, document, created_at) VALUES (?, ?, ?, ?, ?)`)
            .run(id, latest.version + 1, label ?? null, json, t.toISOString())
        } else {
          this.db.prepare(`INSERT INTO ${versions} (${fk}, version, document, created_at) VALUES (?, ?, ?, ?)`).run(id, latest.version + 1, json, t.toISOString())
        }
        this.db.prepare(`UPDATE ${table} SET updated_at = ? WHERE id = ?`).run(t.toISOString(), id)
        this.db.prepare(`UPDATE projects SET updated_at = ? WHERE id = (SELECT project_id FROM ${table} WHERE id = ?)`).run(t.toISOString(), id)
        return this.toVersion(this.versionRow(id))
      })
      .immediate()
    this.onChange({ projectId: this.summary(id).projectId, id, version: saved.version })
    return saved
  }

  history(id: number): Omit<DocVersion<D>, 'document' | 'parentId'>[] {
    this.summary(id)
    const rows = this.db
      .prepare(`SELECT ${this.versionColumns} FROM ${this.kind.versions} WHERE ${this.kind.fk} = ? ORDER BY version DESC`)
      .all(id) as VersionRow[]
    return rows.map((r) => ({ id: r.id, version: r.version, label: r.label, createdAt: r.created_at }))
  }

  rename(id: number, name: string): DocSummary {
    this.summary(id)
    this.db.prepare(`UPDATE ${this.kind.table} SET name = ?, updated_at = ? WHERE id = ?`).run(name, this.now().toISOString(), id)
    const summary = this.summary(id)
    this.onChange({ projectId: summary.projectId, id })
    return summary
  }

  delete(id: number): DocSummary {
    const summary = this.summary(id)
    this.db.prepare(`DELETE FROM ${this.kind.table} WHERE id = ?`).run(id)
    this.onChange({ projectId: summary.projectId, id })
    return summary
  }
}
