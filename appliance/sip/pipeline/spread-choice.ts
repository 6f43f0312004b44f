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
 * The sibling for the next request, or undefined when none has room: a sibling with room admits
 * all its own new work (share 1), lags less than `maxLagMs`, and was heard from within `maxAgeMs`.
 * Calm siblings take turns (`turn` counts up), so two of them share a flow evenly; a sibling
 * that fills up stops being calm at its next beacon and then takes nothing more, so a spread
 * never pushes a sibling past what it judges it can do.
 * Without a calm sibling, one that still admits at least twice the share this worker does
 * (`ownShare`) takes the request: it applies its own share to what it is handed (its overload
 * stage, 503 from the shared port for the rest), so handing beats refusing here. Measured
 * (bench/faults, 3,000 calls/s from one socket): a sibling's share dipped below 1 on every
 * burst of handed datagrams its receive backlog showed, and with the "share 1 only" rule it
 * carried 366 of 2,165 answered calls while the hot worker refused the rest itself.
 * Without either, the caller sheds as before (503 + Retry-After).
 */
export function chooseSibling(siblings: readonly SiblingLoad[], now: number, turn: number, s: SpreadSettings, ownShare = 1): number | undefined {
  const calm: number[] = [];
  let roomier: SiblingLoad | undefined;
  for (const b of siblings) {
    if (!(b.lagMs < s.maxLagMs && now - b.at <= s.maxAgeMs)) continue;
    if (b.share >= 1) calm.push(b.workerId);
    else if (b.share >= 2 * ownShare && (!roomier || b.share > roomier.share)) roomier = b;
  }
  if (calm.length === 0) return roomier?.workerId;
  calm.sort((a, b) => a - b);
  return calm[turn % calm.length];
}
