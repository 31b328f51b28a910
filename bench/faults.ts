/**
 * The bad-input campaign, in full: generated malformed inputs (fast-check) for each surface, every outcome
 * counted (bench/fault-campaign.ts says what counts as what). Prints one JSON object with the counts per
 * surface and the totals; exits 1 when anything crashed, hung or lost data.
 *
 *   npm run bench:faults                  (defaults below)
 *   FAULTS_SEED=7 FAULTS_HTTP=5000 npx tsx bench/faults.ts
 *
 * Inputs per surface (environment variables): FAULTS_HTTP (2000 raw requests), FAULTS_API (100 per channel),
 * FAULTS_DOCS (2000 graph and 2000 pipeline documents), FAULTS_DECODE (2000 image files), FAULTS_MODELS
 * (1000 TF.js model folders), FAULTS_FOLDER (200 bad files in one folder import, with symlink loops and an unreadable file).
 */
import { apiCampaign, CAMPAIGN_SEED, decodeCampaign, documentsCampaign, envRuns, folderImportCampaign, httpCampaign, modelFolderCampaign, type SurfaceReport } from './fault-campaign'

async function main(): Promise<void> {
  const seed = CAMPAIGN_SEED
  const surfaces: SurfaceReport[] = []
  surfaces.push(await httpCampaign({ runs: envRuns('FAULTS_HTTP', 2000), seed }))
  surfaces.push(await apiCampaign({ runsPerChannel: envRuns('FAULTS_API', 100), seed }))
  surfaces.push(...(await documentsCampaign({ runs: envRuns('FAULTS_DOCS', 2000), seed })))
  surfaces.push(await decodeCampaign({ runs: envRuns('FAULTS_DECODE', 2000), seed }))
  surfaces.push(await modelFolderCampaign({ runs: envRuns('FAULTS_MODELS', 1000), seed }))
  surfaces.push(await folderImportCampaign({ badFiles: envRuns('FAULTS_FOLDER', 200), goodPerClass: 5, seed }))
  const totals = { inputs: 0, accepted: 0, clearErrors: 0, crashes: 0, hangs: 0, dataLost: 0 }
  for (const s of surfaces) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += s[k]
  console.log(JSON.stringify({ seed, node: process.version, totals, surfaces }, null, 2))
  if (totals.crashes + totals.hangs + totals.dataLost > 0) process.exitCode = 1
}

await main()
