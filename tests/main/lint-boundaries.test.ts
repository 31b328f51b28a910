import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// The layer rule must actually bite: plant forbidden imports in each layer and expect errors.
const eslint = new ESLint({ cwd: process.cwd() })

async function lint(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`)
}

describe('import boundaries', () => {
  it.each([
    ['shared/graph/planted.ts', `import { readFileSync } from 'node:fs'`, /no-restricted-imports: .*shared\/ is pure/],
    ['shared/graph/planted.ts', `import { app } from 'electron'`, /no-restricted-imports/],
    ['shared/graph/planted.ts', `import { useState } from 'react'`, /no-restricted-imports/],
    ['shared/graph/planted.ts', `import { createRoot } from 'react-dom/client'`, /no-restricted-imports/],
    ['shared/graph/planted.ts', `import { inspect } from 'util'`, /no-restricted-imports/],
    ['shared/graph/planted.ts', `import { startStudio } from '../../main/studio'`, /no imports from main/],
    ['shared/graph/planted.ts', `export const w = window.innerWidth`, /no-restricted-globals/],
    ['main/services/planted.ts', `import { app } from 'electron'`, /only main\/electron\/ may import it/],
    ['main/services/planted.ts', `import { App } from '../../renderer/src/app/App'`, /no imports from renderer/],
    ['renderer/src/planted.ts', `import Database from 'better-sqlite3'`, /typed API client/],
    ['renderer/src/planted.ts', `import { readFileSync } from 'fs'`, /typed API client/],
    ['renderer/src/planted.ts', `import { openDatabase } from '../../main/store/db'`, /no imports from main/],
    ['preload/planted.ts', `import { readFileSync } from 'node:fs'`, /generic bridge/],
    ['renderer/src/planted.ts', `export const r = Math.random()`, /seeded generator/],
    // The renderer's order: the shared UI pieces never import a feature or the shell (type-only imports neither).
    ['renderer/src/workers/planted.ts', `import { studioBackend } from '../backend/probe'`, /Shared UI pieces .*no imports from backend/],
    ['renderer/src/workers/planted.ts', `import type { WorkerData } from '../train/protocol'`, /Shared UI pieces .*no imports from train/],
    ['renderer/src/charts/planted.ts', `import { runColor } from '../runs/colors'`, /Shared UI pieces .*no imports from runs/],
    ['renderer/src/ui/planted.ts', `import { useData } from '../data/store'`, /Shared UI pieces .*no imports from data/],
    ['renderer/src/ui/deeper/planted.ts', `import { ProcedurePanel } from '../../procedure/ProcedurePanel'`, /Shared UI pieces .*no imports from procedure/],
    ['renderer/src/api/planted.ts', `import { useApp } from '../app/store'`, /Shared UI pieces .*no imports from app/],
    ['renderer/src/api/planted.ts', `import { editor } from '../architecture/session'`, /Shared UI pieces .*no imports from architecture/],
    // ...and keep the renderer's own rules.
    ['renderer/src/api/planted.ts', `import { readFileSync } from 'node:fs'`, /typed API client/],
  ])('%s rejects %s', async (file, code, expected) => {
    const messages = await lint(file, code)
    expect(messages.some((m) => expected.test(m)), messages.join('\n')).toBe(true)
  })

  it.each([
    ['shared/graph/planted.ts', `import * as tf from '@tensorflow/tfjs'\nimport { z } from 'zod'\nexport const x = [tf, z]`],
    ['main/electron/planted.ts', `import { app } from 'electron'\nexport const a = app`],
    ['main/services/planted.ts', `import { readFileSync } from 'node:fs'\nimport Database from 'better-sqlite3'\nexport const x = [readFileSync, Database]`],
    ['renderer/src/planted.ts', `import { createClient } from '@shared/api'\nexport const c = createClient`],
    ['preload/planted.ts', `import { contextBridge } from 'electron'\nexport const b = contextBridge`],
    // A local module named like a Node built-in is not the built-in.
    ['renderer/src/planted.ts', `import { InspectorPanel } from './Inspector'\nexport const i = InspectorPanel`],
    // Features use the shared pieces and each other; the shared pieces use each other.
    ['renderer/src/train/planted.ts', `import { LineChart } from '../charts/LineChart'\nimport { api } from '../api/client'\nimport { useRuns } from '../runs/Compare'\nexport const x = [LineChart, api, useRuns]`],
    ['renderer/src/charts/planted.ts', `import { formatValue } from './ticks'\nimport { reportError } from '../ui/dialogs'\nexport const x = [formatValue, reportError]`],
  ])('%s accepts allowed imports', async (file, code) => {
    expect(await lint(file, code)).toEqual([])
  })
})
