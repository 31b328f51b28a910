/**
 * Saving an exported file where the user chooses: the host's save dialog where it has one (`canSaveFile`,
 * Electron), otherwise a download from the page (the browser host; the browser asks or uses its download folder).
 * Resolves to a sentence saying where the file went, or null when the user cancelled.
 */
import { api } from './client'

export interface ExportFile {
  readonly name: string
  readonly mime: string
  readonly bytes: Uint8Array
  /** The save dialog's filter, e.g. { name: 'SVG image', extensions: ['svg'] }. */
  readonly kind: { readonly name: string; readonly extensions: string[] }
}

let canSave: Promise<boolean> | null = null

export async function saveExport(file: ExportFile): Promise<string | null> {
  canSave ??= api()
    .app.info({})
    .then((i) => i.capabilities.canSaveFile)
  if (await canSave) {
    const path = await api().host.saveFile({ title: `Save ${file.kind.name}`, suggestedName: file.name, filters: [file.kind], bytes: file.bytes })
    return path === null ? null : `Saved ${path}`
  }
  const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.mime }))
  try {
    const a = document.createElement('a')
    a.href = url
    a.download = file.name
    a.rel = 'noopener'
    document.body.appendChild(a)
    a.click()
    a.remove()
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  return `Downloaded ${file.name}`
}

/** A file name from free text: letters, digits, dashes; never empty. */
export function fileStem(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'chart'
  )
}
