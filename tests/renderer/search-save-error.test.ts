/**
 * A hyperparameter search whose state cannot be saved says so where the user is (the Search card shows
 * `saveError`): what failed, what it means and what to do; the unsaved state is kept, and the next save (Save
 * again) writes it and clears the message. The runner over an API whose saveSearch fails as a stopped host's does.
 */
import { describe, expect, it, vi } from 'vitest'
import type { StoredSearch } from '@shared/api'
import { createSearch } from '@shared/procedure'

const saves: StoredSearch[] = []
let failing = true
vi.mock('../../renderer/src/api/client', () => ({
  api: () => ({
    workspace: {
      getSearch: () => Promise.resolve(null),
      saveSearch: ({ search }: { search: StoredSearch }) => {
        if (failing) return Promise.reject(new Error('The studio host is not reachable (fetch failed). Is `npm run start:web` still running?'))
        saves.push(search)
        return Promise.resolve({ projectId: 1, search, updatedAt: 0 })
      },
    },
  }),
}))

// The page's training controller (the app's store, a module worker) is not needed to save a search.
vi.mock('../../renderer/src/train/instance', () => ({ trainingController: () => null }))

const { flushSearch, loadSearch, setSaved, useSearch } = await import('../../renderer/src/procedure/search-runner')

function aSearch(): never {
  const state = createSearch({ lr: { type: 'logUniform', min: 1e-4, max: 1e-1 } }, { trials: 3, seed: '1/k' })
  return {
    version: 1,
    key: 'k',
    setup: { trials: '3', epochs: '1', mode: 'random', metric: 'valLoss', seed: '1', params: { lr: { enabled: true, min: '1e-4', max: '1e-1', values: '' } } },
    state,
    epochsByRound: [1],
    base: { epochs: 1, batchSize: 32, learningRate: 0.001 },
    architectureId: 1,
    datasetId: 2,
    pipelineId: null,
    backend: 'wasm',
    paused: true,
  } as never
}

describe('a search whose state cannot be saved', () => {
  it('shows what failed and what to do, keeps the state, and Save again writes it and clears the message', async () => {
    await loadSearch(1)
    const saved = aSearch()
    setSaved(saved)
    await flushSearch()
    expect(useSearch.getState().saveError).toBe(
      'The search could not be saved (The studio host is not reachable (fetch failed). Is `npm run start:web` still running?). Its trials are still recorded as runs, but after a restart it would resume from its last saved state: check that CNN Studio is still running, then press Save again.',
    )
    expect(saves).toEqual([])
    failing = false
    await flushSearch()
    expect(useSearch.getState().saveError).toBeNull()
    expect(saves).toEqual([saved])
  })
})
