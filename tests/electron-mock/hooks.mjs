/** Node loader hook: `electron` resolves to the recording stand-in (fake-electron.mjs). */
const fake = new URL('./fake-electron.mjs', import.meta.url).href
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: fake, shortCircuit: true }
  return next(specifier, context)
}
