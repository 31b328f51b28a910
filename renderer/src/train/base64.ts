/** Base64 of binary buffers: one home in shared/base64.ts (also used by the run recorder's sink). */
export { fromBase64, toBase64 } from '@shared/base64'
