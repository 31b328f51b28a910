/**
 * The bad-input campaign's TF.js model folder surface, small (bench/fault-campaign.ts; `npm run bench:faults` runs
 * 1000): malformed model.json, missing and short weight files, wrong weight shapes and dtypes, manifest paths
 * outside the folder. Each is refused with a message; nothing is written for a refused folder.
 */
import { describe, expect, it } from 'vitest'
import { CAMPAIGN_SEED, envRuns, modelFolderCampaign } from '../../bench/fault-campaign'

describe('bad-input campaign: TF.js model folders', () => {
  it('models.importFolder refuses every broken folder with a message and writes nothing', async () => {
    const runs = envRuns('FAULTS_MODELS_CI', 150)
    const r = await modelFolderCampaign({ runs, seed: CAMPAIGN_SEED })
    expect({ crashes: r.crashes, hangs: r.hangs, dataLost: r.dataLost, examples: r.examples }).toEqual({ crashes: 0, hangs: 0, dataLost: 0, examples: [] })
    expect(r.inputs).toBe(runs)
    expect(r.accepted + r.clearErrors).toBe(r.inputs)
    expect(r.clearErrors).toBeGreaterThan(r.inputs / 2)
  }, 120_000)
})
