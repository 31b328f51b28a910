/** Base64 of binary buffers (checkpoints over the JSON API), in chunks so large buffers do not blow the stack. Browser and Node (btoa/atob). */
/** btoa/atob: globals of browsers, workers and Node (16+); not in the shared layer's type libraries. */
const g = globalThis as unknown as { btoa(s: string): string; atob(s: string): string }

export function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer)
  const parts: string[] = []
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]))
  return g.btoa(parts.join(''))
}

export function fromBase64(text: string): ArrayBuffer {
  const s = g.atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out.buffer
}
