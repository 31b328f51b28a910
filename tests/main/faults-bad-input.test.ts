/**
 * The bad-input campaign in CI (bench/fault-campaign.ts; `npm run bench:faults` runs it in full and prints the
 * counts): generated malformed inputs per surface, each answered with a clear error or accepted, never a crash,
 * a hang or lost data. Inputs per surface here (environment variables, defaults kept small for CI time):
 *   FAULTS_HTTP_CI (1000 raw requests), FAULTS_API_CI (20 per channel, ~1,100 in all), FAULTS_DOCS_CI (1000 graph
 *   and 1000 pipeline documents), FAULTS_DECODE_CI (500 image files: sharp is the slow part),
 *   FAULTS_FOLDER_CI (40 bad files in one folder import). FAULTS_SEED changes the generated inputs.
 */
import { describe, expect, it } from 'vitest'
import { apiCampaign, CAMPAIGN_SEED, decodeCampaign, documentsCampaign, envRuns, folderImportCampaign, httpCampaign, type SurfaceReport } from '../../bench/fault-campaign'

const seed = CAMPAIGN_SEED

/** Nothing crashed, hung or was lost; every input was either accepted or refused clearly. */
function expectClean(r: SurfaceReport, inputs: number): void {
  expect({ surface: r.surface, crashes: r.crashes, hangs: r.hangs, dataLost: r.dataLost, examples: r.examples }).toEqual({ surface: r.surface, crashes: 0, hangs: 0, dataLost: 0, examples: [] })
  expect(r.inputs).toBeGreaterThanOrEqual(inputs)
  expect(r.accepted + r.clearErrors).toBe(r.inputs)
  // Generated inputs are mostly bad: most must have been refused.
  expect(r.clearErrors).toBeGreaterThan(r.inputs / 2)
}

describe('bad-input campaign', () => {
  it('browser host: malformed paths, headers and bodies get 4xx (or a normal answer); the host still serves and the database is intact', async () => {
    const runs = envRuns('FAULTS_HTTP_CI', 1000)
    const r = await httpCampaign({ runs, seed })
    expectClean(r, runs)
    expect(r.accepted).toBeGreaterThan(0)
  }, 180_000)

  it('every API channel: generated payloads give invalid_payload or a typed error, never an internal error', async () => {
    const perChannel = envRuns('FAULTS_API_CI', 20)
    const r = await apiCampaign({ runsPerChannel: perChannel, seed })
    expectClean(r, perChannel * Object.keys(r.perChannel ?? {}).length)
    expect(Object.keys(r.perChannel ?? {}).length).toBeGreaterThan(50)
    for (const [channel, c] of Object.entries(r.perChannel ?? {})) expect({ channel, inputs: c.inputs }).toEqual({ channel, inputs: perChannel })
  }, 300_000)

  it('graph and pipeline documents: parse, analyse and save refuse bad documents with a message, never throw otherwise', async () => {
    const runs = envRuns('FAULTS_DOCS_CI', 1000)
    const [graph, pipeline] = await documentsCampaign({ runs, seed })
    expectClean(graph!, runs)
    expectClean(pipeline!, runs)
  }, 300_000)

  it('dataset files: truncated, corrupt, huge, bombs, empty and misnamed images are refused with a reason', async () => {
    const runs = envRuns('FAULTS_DECODE_CI', 500)
    expectClean(await decodeCampaign({ runs, seed }), runs)
  }, 300_000)

  it('a folder import with bad files mixed in: the good images import, the bad ones are listed as skipped with a reason', async () => {
    const badFiles = envRuns('FAULTS_FOLDER_CI', 40)
    const r = await folderImportCampaign({ badFiles, goodPerClass: 3, seed })
    expectClean(r, badFiles)
  }, 300_000)
})
