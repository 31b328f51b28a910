import { z } from 'zod'

/** A project's document with history (a design or an augmentation pipeline), as listed. */
export interface VersionedDocSummary {
  readonly id: number
  readonly projectId: number
  readonly name: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly latestVersion: number
  readonly versionCount: number
}

/** The name field of such a document: `noun` says which ("Design", "Pipeline") in the messages. */
export function docName(noun: string) {
  return z
    .string({ error: `${noun} name must be text` })
    .trim()
    .min(1, `${noun} name must not be empty`)
    .max(120, `${noun} name must be at most 120 characters`)
}
