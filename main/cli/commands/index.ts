import { checkCommand } from '../check'
import { datasetCommand } from '../dataset'
import { evaluateCommand } from '../evaluate'
import { exportCommand } from '../export'
import { initLabCommand } from '../init-lab'
import { lrSweepCommand } from '../lr-sweep'
import { runsCommand } from '../runs'
import { trainCommand } from '../train'
import type { Subcommand } from '../types'
import { inspectCommand } from './inspect'

/**
 * All `studio` subcommands. To add one: write `main/cli/commands/<name>.ts` exporting a `Subcommand`
 * (see ../types.ts) and append it here.
 */
export const COMMANDS: readonly Subcommand[] = [inspectCommand, datasetCommand, trainCommand, runsCommand, evaluateCommand, checkCommand, lrSweepCommand, initLabCommand, exportCommand]
