/**
 * What a studio page knows of the browser host it was served by: the per-launch token, read from the host's
 * index.html as the renderer reads it (the studio-token meta), and the renderer's own API client over the web
 * transport (HTTP, the token in a header). Used by the crash campaign's browser-host kills (bench/crash-page.ts
 * and bench/crash-campaign.ts).
 */
import { createApi, type Api } from '../renderer/src/api/client'
import { webTransport } from '../renderer/src/api/transports'

export async function pageToken(url: string): Promise<string> {
  const html = await (await fetch(url)).text()
  const token = /<meta name="studio-token" content="([^"]+)">/.exec(html)?.[1]
  if (!token) throw new Error(`${url} served no studio token`)
  return token
}

export async function pageApi(url: string): Promise<{ api: Api; token: string; origin: string }> {
  const token = await pageToken(url)
  const origin = new URL(url).origin
  return { api: createApi(webTransport(token, origin)), token, origin }
}
