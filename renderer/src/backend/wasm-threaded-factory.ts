/**
 * Stands in for tfjs-backend-wasm's `../wasm-out/tfjs-backend-wasm-threaded-simd.js` (an alias in
 * electron.vite.config.ts), so that the multi-threaded WASM backend works in the bundled app.
 *
 * Why: tfjs starts each pthread worker (a classic worker from a blob: URL) and has it `importScripts` the
 * Emscripten factory again from `mainScriptUrlOrBlob`, which tfjs sets to a Blob of
 * `'var WasmBackendModuleThreadedSimd = ' + factory.toString()`. In our build that fails twice over:
 *   - the pthread worker inherits the page's CSP, whose `script-src 'self' 'wasm-unsafe-eval'` does not allow
 *     blob: scripts, so `importScripts(blob:...)` is refused ("... failed to load");
 *   - the bundled factory's source is not self-contained (it closes over the module's `_scriptDir` and the
 *     minifier's renamed identifiers), so even an allowed blob would not evaluate to a working factory.
 * Here the main thread keeps the bundled factory, and the pthread workers get the URL of the original,
 * unminified script, emitted as a same-origin asset: allowed by `script-src 'self'`, and it defines the global
 * `WasmBackendModuleThreadedSimd` that the pthread worker calls. Same file, same build: the two halves match.
 */
import bundledFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'
import factoryScriptUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?url'

type FactoryConfig = Parameters<typeof bundledFactory>[0]

export default function WasmBackendModuleThreadedSimd(config: FactoryConfig): ReturnType<typeof bundledFactory> {
  // Absolute: the pthread worker runs from a blob: URL and could not resolve a relative one.
  config.mainScriptUrlOrBlob = new URL(factoryScriptUrl, globalThis.location.href).href
  return bundledFactory(config)
}
