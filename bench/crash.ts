/**
 * `npm run bench:crash [-- --kills N --host-kills H --seed S]`: the crash campaign (bench/crash-campaign.ts), 50
 * SIGKILLs of the `studio` command and 50 of the browser host by default, each spread over the six moments; prints
 * one line per kill, then the counts as JSON (kills per process and moment).
 * Exit code 1 when anything was lost, corrupted or left behind.
 */
import { parseArgs } from 'node:util'
import { crashCampaign } from './crash-campaign'

const { values } = parseArgs({ options: { kills: { type: 'string', default: '50' }, 'host-kills': { type: 'string', default: '50' }, seed: { type: 'string', default: '1' } } })
const started = Date.now()
const counts = await crashCampaign({ kills: Number(values.kills), hostKills: Number(values['host-kills']), seed: Number(values.seed), log: (line) => console.error(line) })
const { failures, ...figures } = counts
console.log(JSON.stringify({ ...figures, failures: failures.length, seconds: Math.round((Date.now() - started) / 1000) }, null, 2))
for (const f of failures) console.log(`  ${f}`)
process.exitCode = failures.length || counts.lostEpochs || counts.integrityFailures || counts.orphanFiles ? 1 : 0
