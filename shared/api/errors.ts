/**
 * Errors that cross the API boundary. Every failure becomes an `ApiErrorData` (plain JSON) on the wire and an
 * `ApiError` again on the client, so the renderer can show the message and the offending fields.
 */
export type ApiErrorCode =
  | 'invalid_payload'
  | 'unknown_channel'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'schema_too_new'
  /** The data folder cannot be written: its disk is full, or it is read-only. */
  | 'storage'
  | 'internal'

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `name` or `params.kernelSize`; empty for the payload itself. */
  readonly path: string
  readonly message: string
}

export interface ApiErrorData {
  readonly code: ApiErrorCode
  readonly message: string
  readonly issues?: readonly FieldIssue[]
}

export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly issues: readonly FieldIssue[]
  constructor(code: ApiErrorCode, message: string, issues: readonly FieldIssue[] = []) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.issues = issues
  }
  toJSON(): ApiErrorData {
    return this.issues.length
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message }
  }
  static from(data: ApiErrorData): ApiError {
    return new ApiError(data.code, data.message, data.issues ?? [])
  }
}

export function isApiErrorData(value: unknown): value is ApiErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}

/** Wire envelope of one call's answer. */
export type CallResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ApiErrorData }
