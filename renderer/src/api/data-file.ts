import { WEB_HOST } from '@shared/api/transport'

/**
 * A URL the renderer (and its workers) can read a served data file from with `fetchDataFile`, e.g. a dataset
 * cache (`datasets/<id>/images.u8`): the Electron app serves it on its own scheme, the browser host over HTTP.
 * The browser host wants the page's token in a header, so it rides in the URL's fragment, which is never sent
 * (no logs, history or Referer see it); `fetchDataFile` moves it to the header. Only files the hosts allow
 * (main/host/served-files.ts) are served.
 */
export function dataFileUrl(relativePath: string): string {
  if (window.studioBridge) return `studio://app/files/${relativePath}`
  const token = document.querySelector<HTMLMetaElement>('meta[name="studio-token"]')?.content ?? ''
  return webDataFileUrl(window.location.origin, token, relativePath)
}

/** The browser host's URL of a data file for a page of `origin` holding `token` (the token in the fragment). */
export function webDataFileUrl(origin: string, token: string, relativePath: string): string {
  return `${origin}${WEB_HOST.filesPrefix}${relativePath}#${TOKEN_FRAGMENT}${encodeURIComponent(token)}`
}

const TOKEN_FRAGMENT = 'studio-token='

/**
 * Reads a URL made by `dataFileUrl` (in the page or a worker): the token from the fragment goes in the
 * X-Studio-Token header. A network failure or a refusal is an error that says what to check.
 */
export async function fetchDataFile(url: string, what = 'the dataset cache'): Promise<Uint8Array> {
  const hash = url.indexOf('#')
  const fragment = hash < 0 ? '' : url.slice(hash + 1)
  const headers: Record<string, string> = fragment.startsWith(TOKEN_FRAGMENT)
    ? { [WEB_HOST.tokenHeader]: decodeURIComponent(fragment.slice(TOKEN_FRAGMENT.length)) }
    : {}
  let response: Response
  try {
    response = await fetch(hash < 0 ? url : url.slice(0, hash), { headers })
  } catch (e) {
    throw new Error(`Could not read ${what} (${e instanceof Error ? e.message : String(e)}): is the studio host still running?`)
  }
  if (!response.ok) throw new Error(`Could not read ${what}: the host answered ${response.status} ${response.statusText}`)
  return new Uint8Array(await response.arrayBuffer())
}
