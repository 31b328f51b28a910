/**
 * The Pareto front of a trade-off plot (pure): a point is on the front when no other point is at least as good on
 * both axes and better on one. Each axis has its goal ('min': lower is better, as parameters, FLOPs or training
 * time; 'max': higher is better, as accuracy). Equal points do not dominate each other. O(n log n).
 */

export interface TradeoffPoint {
  readonly id: number
  readonly x: number
  readonly y: number
}

export interface Goals {
  readonly x: 'min' | 'max'
  readonly y: 'min' | 'max'
}

/** Whether `a` dominates `b` under the goals. */
export function dominates(a: Pick<TradeoffPoint, 'x' | 'y'>, b: Pick<TradeoffPoint, 'x' | 'y'>, goals: Goals): boolean {
  const ax = goals.x === 'min' ? a.x : -a.x
  const bx = goals.x === 'min' ? b.x : -b.x
  const ay = goals.y === 'min' ? a.y : -a.y
  const by = goals.y === 'min' ? b.y : -b.y
  return ax <= bx && ay <= by && (ax < bx || ay < by)
}

/** The points on the front, ordered along the x axis (ascending x), for drawing its line. Non-finite points are left out. */
export function paretoFront<P extends TradeoffPoint>(points: readonly P[], goals: Goals): P[] {
  const sx = goals.x === 'min' ? 1 : -1
  const sy = goals.y === 'min' ? 1 : -1
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
  // Both axes as "lower is better": sorted by x, then y; a point is dominated exactly when an earlier one has a
  // lower y, or the same y at a lower x.
  const order = pts.map((p) => ({ p, x: sx * p.x, y: sy * p.y })).sort((a, b) => a.x - b.x || a.y - b.y)
  const front: P[] = []
  let bestY = Infinity
  let bestX = Infinity
  for (const o of order) {
    if (o.y < bestY) {
      bestY = o.y
      bestX = o.x
      front.push(o.p)
    } else if (o.y === bestY && o.x === bestX) front.push(o.p)
  }
  return front.sort((a, b) => a.x - b.x || a.y - b.y)
}
