/**
 * The studio's training config mapped to PyTorch, in one place (so each entry can move into the optimizer and
 * schedule registries later): per optimizer type the torch.optim constructor whose update is the studio's
 * (shared/train/optimizers.ts), per schedule type the Python expression of the studio's factor
 * (shared/train/schedules.ts). Records over the type unions: a new kind without a mapping does not compile.
 */
import type { OptimizerSpec, TrainingConfig } from '../../train/config'
import type { ScheduleSpec, ScheduleType } from '../../train/schedules'

/** A JSON value as a Python literal. */
export function py(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Cannot write ${value} into Python source`)
    return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : JSON.stringify(value)
  }
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`
  throw new Error(`Cannot write a ${typeof value} into Python source`)
}

type OptimizerMapping = { readonly [T in OptimizerSpec['type']]: (spec: Extract<OptimizerSpec, { type: T }>) => string }

/**
 * torch.optim equivalents (per-group weight_decay is 0 for groups that are not decayed, lr is set every step):
 *  - sgd: v <- mu v + g (v starts at g, the same as v0 = 0), Nesterov g + mu v, coupled L2 g + lambda w: torch's SGD;
 *  - adam: coupled L2, bias-corrected moments: torch's Adam (weight_decay adds lambda w to the gradient);
 *  - adamw: decoupled w <- w - lr lambda w_old, then the Adam step on the raw gradient: torch's AdamW;
 *  - lion: torch has no Lion (1.13 nor 2.x), so train.py gets the studio's update as a torch.optim.Optimizer
 *    (LION_PYTHON), decoupled decay as for adamw.
 */
const OPTIMIZERS: OptimizerMapping = {
  sgd: (s) => `torch.optim.SGD(groups, lr=0.0, momentum=${py(s.momentum)}, nesterov=${py(s.nesterov && s.momentum > 0)})`,
  adam: (s) => `torch.optim.Adam(groups, lr=0.0, betas=(${py(s.beta1)}, ${py(s.beta2)}), eps=${py(s.epsilon)})`,
  adamw: (s) => `torch.optim.AdamW(groups, lr=0.0, betas=(${py(s.beta1)}, ${py(s.beta2)}), eps=${py(s.epsilon)})`,
  lion: (s) => `Lion(groups, lr=0.0, betas=(${py(s.beta1)}, ${py(s.beta2)}))`,
}

/** The studio's Lion (shared/train/optimizer-kinds.ts) as a torch optimizer; written into train.py only when used. */
const LION_PYTHON = [
  'class Lion(torch.optim.Optimizer):',
  '    """The studio\'s Lion (Chen et al. 2023): c = sign(b1 m + (1 - b1) g); m <- b2 m + (1 - b2) g;',
  '    w <- w - lr c - lr wd w_old (decoupled decay, as the studio). PyTorch has no Lion of its own."""',
  '',
  '    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):',
  '        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))',
  '',
  '    @torch.no_grad()',
  '    def step(self, closure=None):',
  '        loss = None',
  '        if closure is not None:',
  '            with torch.enable_grad():',
  '                loss = closure()',
  '        for group in self.param_groups:',
  '            b1, b2 = group["betas"]',
  '            lr, wd = group["lr"], group["weight_decay"]',
  '            for p in group["params"]:',
  '                if p.grad is None:',
  '                    continue',
  '                state = self.state[p]',
  '                if "m" not in state:',
  '                    state["m"] = torch.zeros_like(p)',
  '                m = state["m"]',
  '                c = torch.sign(m * b1 + p.grad * (1 - b1))',
  '                m.mul_(b2).add_(p.grad, alpha=1 - b2)',
  '                step = c * lr',
  '                if wd != 0:',
  '                    step = step + p * (lr * wd)',
  '                p.sub_(step)',
  '        return loss',
].join('\n')

type ScheduleMapping = { readonly [T in ScheduleType]: (spec: Extract<ScheduleSpec, { type: T }>) => string }

/** Factor of the base rate as a Python expression of `epochs` (fractional, step / stepsPerEpoch) and `p` (progress after warmup). */
const SCHEDULES: ScheduleMapping = {
  constant: () => '1.0',
  step: (s) => `math.pow(${py(s.gamma)}, math.floor(math.floor(epochs) / ${py(s.everyEpochs)}))`,
  exponential: (s) => `math.pow(${py(s.gamma)}, math.floor(epochs))`,
  cosine: (s) => `${py(s.minFactor)} + (1 - ${py(s.minFactor)}) * (1 + math.cos(math.pi * p)) / 2`,
  inverseTime: (s) => `1 / (1 + ${py(s.k)} * epochs)`,
  sqrt: () => 'math.sqrt(max(0.0, 1 - p))',
}

/** The generated block of train.py: the config and the functions that depend on it. */
export function trainingPython(config: TrainingConfig): string {
  const opt = config.optimizer
  const sched = config.schedule
  const makeOptimizer = (OPTIMIZERS[opt.type] as (s: OptimizerSpec) => string)(opt)
  const factor = (SCHEDULES[sched.type] as (s: ScheduleSpec) => string)(sched)
  return [
    '# ---- generated from the run\'s training config (shared/export/pytorch/train-mapping.ts) ----',
    `CONFIG = ${py(config)}`,
    '',
    '# Weight decay is coupled L2 (added to the gradient, its penalty reported in the loss) for sgd and adam,',
    '# decoupled for adamw and lion (shared/train/optimizers.ts).',
    `COUPLED_DECAY = ${py(opt.type === 'sgd' || opt.type === 'adam')}`,
    '',
    '',
    ...(opt.type === 'lion' ? [LION_PYTHON, '', ''] : []),
    'def make_optimizer(groups):',
    `    """The studio's ${opt.type} update${opt.type === 'sgd' ? ` (momentum ${opt.momentum}${opt.nesterov ? ', Nesterov' : ''})` : ''}."""`,
    `    return ${makeOptimizer}`,
    '',
    '',
    'def schedule_factor(epochs, p):',
    `    """The ${sched.type} schedule's factor of the base learning rate (before warmup)."""`,
    `    return ${factor}`,
    '',
    '',
    `WARMUP_EPOCHS = ${py(sched.warmupEpochs)}`,
    '# ---- end of the generated block ----',
  ].join('\n')
}
