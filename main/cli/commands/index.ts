import { datasetCommand } from '../dataset'
import { runsCommand } from '../runs'
import { trainCommand } from '../train'
import type { Subcommand } from '../types'
import { inspectCommand } from './inspect'

/**
 * All `studio` subcommands. To add one: write `main/cli/commands/<name>.ts` exporting a `Subcommand`
 * (see ../types.ts) and append it here.
 */
export const COMMANDS: readonly Subcommand[] = [inspectCommand, datasetCommand, trainCommand, runsCommand]
