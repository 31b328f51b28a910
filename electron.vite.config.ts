import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

const alias = { '@shared': resolve(import.meta.dirname, 'shared') }

// tfjs-backend-wasm's threaded Emscripten factory, swapped for a shim that points its pthread workers at the
// original script (an asset) instead of a blob of the bundled factory's source: see the shim's comment.
const threadedWasmFactory = {
  find: /^\.\.\/wasm-out\/tfjs-backend-wasm-threaded-simd\.js$/,
  replacement: resolve(import.meta.dirname, 'renderer/src/backend/wasm-threaded-factory.ts'),
}

// Top-level main/, preload/ and renderer/ (not the src/ default). The main build has three entries:
// the Electron app, the browser host, and the `studio` command line; only the first imports electron.
export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          electron: resolve(import.meta.dirname, 'main/electron/index.ts'),
          web: resolve(import.meta.dirname, 'main/web/index.ts'),
          cli: resolve(import.meta.dirname, 'main/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    // The packaged assets (the app's icons): copied as they are to the renderer's root, where both hosts serve
    // them (index.html links the favicon); the Electron window takes its icon from the same folder.
    publicDir: resolve(import.meta.dirname, 'resources'),
    resolve: { alias: [...Object.entries(alias).map(([find, replacement]) => ({ find, replacement })), threadedWasmFactory] },
    plugins: [react()],
    worker: { format: 'es' },
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(import.meta.dirname, 'renderer/index.html') } },
    },
  },
})
