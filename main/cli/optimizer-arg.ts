/**
 * `--optimizer` for every command that takes one (train, lr-sweep, check overfit-tiny): its values, help and
 * defaults come from the optimizer registry (shared/train/optimizer-kinds), so a new kind is on the command line
 * with no edit here.
 */
import { findOptimizerChoice, optimizerChoices, specOfChoice } from '../../shared/train/optimizer-kinds'
import { UsageError } from './types'

/** Every choice of every registered kind (`sgd`, `momentum`, `nesterov`, `adam`, ...), in the form's order. */
export const OPTIMIZER_VALUES: readonly string[] = optimizerChoices().map((c) => c.choice.value)

export const orList = (items: readonly string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : (items[0] ?? ''))

/** The flag's help text: `sgd, momentum, ... or lion (default adam)`. */
export function optimizerFlagHelp(defaultValue: string): string {
  return `${orList(OPTIMIZER_VALUES)} (default ${defaultValue})`
}

/** One line per choice: its label, default learning rate and weight-decay convention. */
export function optimizerTable(indent = '    '): string {
  return optimizerChoices()
    .map(({ def, choice }) => `${indent}${choice.value.padEnd(20)} ${choice.label}: lr ${def.defaultLearningRate}, ${def.weightDecay === 'l2' ? 'L2' : 'decoupled'} weight decay`)
    .join('\n')
}

/**
 * The `--optimizer` value (or `fallback` when not given): its kind, choice, spec (hyperparameters from `value`,
 * else the choice's defaults) and the kind's default learning rate. An unknown value is a UsageError naming them all.
 */
export function optimizerArg(text: string | undefined, fallback: string, value: (param: string, fallbackText: string) => number = (_p, d) => Number(d)) {
  const name = text ?? fallback
  const found = findOptimizerChoice(name)
  if (!found) throw new UsageError(`--optimizer must be one of ${OPTIMIZER_VALUES.join(', ')}, received ${JSON.stringify(name)}`)
  const spec = specOfChoice(name, (f) => value(f.param, f.default))
  return { name, def: found.def, choice: found.choice, spec, defaultLearningRate: found.def.defaultLearningRate }
}
