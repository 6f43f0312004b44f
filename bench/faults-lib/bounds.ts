/**
 * The fault bench's pass rules, one pure function per scenario (docs/SIP.md "Fault bench"
 * lists them). A scenario fails when the appliance queued instead of answering or refusing
 * at once, or lost what it acknowledged.
 */

/** RFC 3261 §17.1.1.2 T1: a final response later than this made the caller retransmit. */
export const T1_MS = 500;

export const BOUNDS = {
  /** First 503 after the load starts: the worker judges itself every 50 ms (docs/SIP.md "Overload"). */
  shedReactionMs: 2000,
  /** Calls that neither completed nor were refused with 503, share of the offered calls. */
  failedShare: 0.01,
  /** Caller INVITE/BYE retransmissions, share of the offered calls (each one is T1 without an answer). */
  retransShare: 0.01,
  /** INVITE → final response (200 or 503), p99. */
  p99Ms: T1_MS,
  /** Calls failed across SIGTERM + restart: an answered call must complete; a refusal is a 503 at once. */
  restartFailed: 0,
  /** Acknowledged REGISTERs whose binding is missing from the store after the kill. */
  lostBindings: 0,
  /** Worker RSS back within 20 % of its pre-burst figure, after the burst's end. */
  rssRecoveryMs: 30_000,
} as const;

export interface Verdict {
  readonly ok: boolean;
  /** Each bound that did not hold, in words. */
  readonly why: readonly string[];
}

const verdict = (why: string[]): Verdict => ({ ok: why.length === 0, why });

export interface OverloadFigures {
  readonly offered: number;
  readonly shed: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly firstShedMs?: number;
  readonly p99Ms: number;
}

/** Scenario a: the worker answered or refused at once (no queueing past T1), and shed at all. */
export function judgeOverload(f: OverloadFigures): Verdict {
  const why: string[] = [];
  if (f.shed === 0) why.push('no 503 at all: the load did not overload the worker (raise --overload-rate) or shedding did not trigger');
  else if (f.firstShedMs === undefined || f.firstShedMs > BOUNDS.shedReactionMs) why.push(`first 503 after ${f.firstShedMs ?? '?'} ms (bound ${BOUNDS.shedReactionMs})`);
  if (f.failed > f.offered * BOUNDS.failedShare) why.push(`${f.failed} failed calls of ${f.offered} (bound ${BOUNDS.failedShare * 100} %)`);
  if (f.retransmissions > f.offered * BOUNDS.retransShare) why.push(`${f.retransmissions} retransmissions for ${f.offered} calls (bound ${BOUNDS.retransShare * 100} %)`);
  if (!(f.p99Ms <= BOUNDS.p99Ms)) why.push(`p99 INVITE → final ${f.p99Ms} ms (bound ${BOUNDS.p99Ms}, T1)`);
  return verdict(why);
}

/** Scenario b: no call failed across SIGTERM + restart. */
export function judgeRestart(failed: number): Verdict {
  return verdict(failed > BOUNDS.restartFailed ? [`${failed} calls failed across the restart (bound ${BOUNDS.restartFailed})`] : []);
}

/** Scenario c: every acknowledged binding is in the store. */
export function judgeDurable(acknowledged: number, lost: number): Verdict {
  const why: string[] = [];
  if (acknowledged === 0) why.push('no REGISTER was acknowledged');
  if (lost > BOUNDS.lostBindings) why.push(`${lost} acknowledged bindings missing from the store (bound ${BOUNDS.lostBindings})`);
  return verdict(why);
}

/** Scenario d: the slowest worker's RSS recovery (undefined: not back within the wait). */
export function judgeRss(recoveryMs: number | undefined, waitedMs: number): Verdict {
  if (recoveryMs === undefined) return verdict([`RSS not back within 20 % of the pre-burst figure after ${Math.round(waitedMs / 1000)} s`]);
  return verdict(recoveryMs > BOUNDS.rssRecoveryMs ? [`RSS back after ${recoveryMs} ms (bound ${BOUNDS.rssRecoveryMs})`] : []);
}
