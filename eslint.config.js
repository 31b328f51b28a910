// Import boundaries between the runtime layers (see docs/architecture.md): each top-level folder is where its
// code runs, and code may only import what exists there.
import { builtinModules } from 'node:module'
import tseslint from 'typescript-eslint'

// Exact module names go to `paths` (a pattern like `inspector` would also catch ./Inspector); subpaths to `patterns`.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'))
const nodeOnlyPackages = ['better-sqlite3', 'ws', 'sharp', 'mnist']
const uiPackages = ['react', 'react-dom', 'zustand', 'uplot']
const uiPatterns = ['react-dom/*', 'react/*', '@xyflow/*', 'zustand/*']

const layer = (message, { names = [], patterns = [], folders = [] }) => ({
  paths: names.map((name) => ({ name, message })),
  patterns: [
    ...patterns.map((pattern) => ({ group: [pattern], message })),
    ...folders.map((folder) => ({
      regex: `^(\\.\\./)+(${folder})(/|$)`,
      message: `${message} (no imports from ${folder}/)`,
    })),
  ],
})

/** no-restricted-imports takes one options object: two layers' restrictions together. */
const both = (a, b) => ({ paths: [...a.paths, ...b.paths], patterns: [...a.patterns, ...b.patterns] })

const rendererMessage = 'The renderer reaches the back end only through the typed API client'
const rendererLayer = { names: [...nodeBuiltins, 'electron', ...nodeOnlyPackages], patterns: ['node:*'], folders: ['main', 'preload'] }
/** renderer/src/: the features, and the shared pieces below them (see docs/architecture.md, "The renderer's order"). */
const rendererFeatures = ['architecture', 'backend', 'data', 'procedure', 'projects', 'runs', 'train', 'workspace']
const rendererShared = ['workers', 'charts', 'ui', 'api']

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', '.cache/**', '.electron-native/**', 'test-results/**', 'resources/**'],
  },
  {
    files: ['**/*.{ts,tsx,mts,js,mjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // One seeded random generator (shared/random) serves everything: replayable by seed.
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded generator in shared/random.' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        layer('shared/ is pure TypeScript: no Node, DOM, Electron or UI imports', {
          names: [...nodeBuiltins, 'electron', ...nodeOnlyPackages, ...uiPackages],
          patterns: ['node:*', ...uiPatterns],
          folders: ['main', 'renderer', 'preload'],
        }),
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'process', 'require', '__dirname', 'Buffer'],
    },
  },
  {
    // The TF.js-free part of the augmentation pipeline (see shared/augment/spec-only.ts): the UI thread and the main
    // process import it to validate pipelines, so it must not pull in TF.js, directly or through the TF.js modules
    // of shared/augment. Type-only imports are erased and allowed. tests/shared/augment/tf-free.test.ts checks the
    // whole import graph at run time.
    files: [
      'shared/augment/spec-only.ts',
      'shared/augment/spec.ts',
      'shared/augment/spec-registry.ts',
      'shared/augment/sample.ts',
      'shared/augment/tta-spec.ts',
      'shared/augment/stats.ts',
      'shared/augment/types.ts',
      'shared/augment/kinds/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*'],
              allowTypeImports: true,
              message: 'This augmentation module is TF.js-free (see shared/augment/spec-only.ts); put TF.js code in apply/, registry.ts, pipeline.ts or tta.ts.',
            },
            {
              regex: '^((\\.{1,2}/)+(augment/)?|@shared/augment/)(index|registry|pipeline|ops|tta|apply(/.*)?)$|^(\\.{1,2}/)+augment$|^@shared/augment$|^\\.{1,2}/?$',
              allowTypeImports: true,
              message: 'This augmentation module is TF.js-free (see shared/augment/spec-only.ts): it may not import the TF.js modules of shared/augment.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        layer('main/ services run without Electron (only main/electron/ may import it) and without UI code', {
          names: ['electron', ...uiPackages],
          patterns: uiPatterns,
          folders: ['renderer', 'preload'],
        }),
      ],
    },
  },
  {
    files: ['main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        layer('The Electron part does not import UI code', { names: uiPackages, patterns: uiPatterns, folders: ['renderer', 'preload'] }),
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', layer(rendererMessage, rendererLayer)],
    },
  },
  {
    // The renderer's order: the shell (app/, main.tsx) -> features -> shared UI pieces. A shared piece is used by
    // features and never uses one (a chart that needs a feature's data is given it as props).
    files: [`renderer/src/{${rendererShared.join(',')}}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': [
        'error',
        both(
          layer(rendererMessage, rendererLayer),
          layer(`Shared UI pieces (${rendererShared.map((f) => `${f}/`).join(', ')}) do not import features or the shell`, {
            folders: [...rendererFeatures, 'app', 'main'],
          }),
        ),
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        layer('The preload is one small generic bridge', {
          names: [...nodeBuiltins, ...nodeOnlyPackages, ...uiPackages],
          patterns: ['node:*', ...uiPatterns],
          folders: ['main', 'renderer'],
        }),
      ],
    },
  },
)
