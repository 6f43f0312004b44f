/**
 * Which sibling worker takes the new work a saturated worker would otherwise refuse (issue 12,
 * DESIGN.md overload ladder: "a single hot flow is spread by handing new transactions to other
 * workers inside the appliance"). Pure: the loads come from the siblings' beacons
 * (transport/sibling-link.ts), the time and the turn from the caller.
 */
export interface SiblingLoad {
  readonly workerId: number;
  /** Its own admitted share of new work (worker-load.ts); 1 = it refuses nothing. */
  readonly share: number;
  /** Its event-loop lag at its last tick, ms. */
  readonly lagMs: number;
  /** When its beacon arrived (performance.now() ms). */
  readonly at: number;
}

export interface SpreadSettings {
  /** A sibling lagging less than this has room (half of `[overload] shed_lag_ms`: far from shedding itself). */
  readonly maxLagMs: number;
  /** A beacon older than this is not trusted (the sibling may be busy, stopped or gone). */
  readonly maxAgeMs: number;
}

/**
 * The sibling for the next request, or undefined when none is calm: a sibling with room admits all
 * its own new work (share 1), lags less than `maxLagMs`, and was heard from within `maxAgeMs`.
 * Calm siblings take turns (`turn` counts up), so two of them share a flow evenly; a sibling
 * that fills up stops being calm at its next beacon and then takes nothing more, so a spread
 * never pushes a sibling past what it judges it can do. Without a calm sibling, the caller
 * sheds as before (503 + Retry-After).
 */
export function chooseSibling(siblings: readonly SiblingLoad[], now: number, turn: number, s: SpreadSettings): number | undefined {
  const calm: number[] = [];
  for (const b of siblings) {
    if (b.share >= 1 && b.lagMs < s.maxLagMs && now - b.at <= s.maxAgeMs) calm.push(b.workerId);
  }
  if (calm.length === 0) return undefined;
  calm.sort((a, b) => a - b);
  return calm[turn % calm.length];
}
