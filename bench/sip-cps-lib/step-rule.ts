/**
 * The pass rule of one bench/sip-cps rate step ("sustained"), pure: the same for every SUT.
 *
 * A step counts as sustained only if the SUT carried the rate without queueing:
 * - fewer than 0.1 % of the calls failed (calls sipp never finished count as failed);
 * - sipp's retransmissions were under 1 % of the requests it sent (a SUT that queues lets
 *   UDP retransmissions (RFC 3261 17.1.1.2, T1 = 500 ms) carry the load: nothing fails, but
 *   every call waits);
 * - the p99 of the step's own INVITE→200 (or REGISTER→200) times is at most 50 ms;
 * - sipp offered at least 90 % of the asked rate (else the load generator, not the SUT, set
 *   the pace).
 */

/** Bounds of the rule; `HONEST_RULE` is the one the bench uses. */
export interface StepRule {
  maxFailRatio: number;
  maxRetransRatio: number;
  maxP99Ms: number;
  minOfferedRatio: number;
}

export const HONEST_RULE: StepRule = { maxFailRatio: 0.001, maxRetransRatio: 0.01, maxP99Ms: 50, minOfferedRatio: 0.9 };

/** What one step measured (from sipp's -trace_stat and -trace_rtt files). */
export interface StepFacts {
  /** Calls asked for (`-m`). */
  asked: number;
  /** Asked rate, calls/s (`-r`). */
  rate: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Requests sipp sent: calls created x requests the scenario sends per call. */
  requestsSent: number;
  /** Calls/s sipp actually created. */
  offered: number;
  /** Every call's response time of the step, ms. */
  rtts: readonly number[];
}

export interface StepVerdict {
  pass: boolean;
  failed: number;
  failRatio: number;
  retransRatio: number;
  p50: number;
  p99: number;
  p999: number;
  /** Why it failed, one short phrase per broken bound (empty when it passed). */
  reasons: string[];
}

/** Nearest-rank percentiles (p in 0..100) of unsorted values, one sort; NaN when empty. */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  if (values.length === 0) return ps.map(() => NaN);
  const sorted = Float64Array.from(values).sort();
  // rank = ceil(p% of n); the epsilon keeps 99.9 % of 1000 at rank 999 (0.999 * 1000 is 999.0000000000001)
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1))]);
}

/** Judges one step against `rule`. A short smoke step (< 200 calls) is all ramp-up: its pace is not judged. */
export function judgeStep(f: StepFacts, rule: StepRule = HONEST_RULE): StepVerdict {
  const failed = Math.max(f.failed, f.asked - f.successful);
  const failRatio = f.asked > 0 ? failed / f.asked : 1;
  const retransRatio = f.requestsSent > 0 ? f.retransmissions / f.requestsSent : 0;
  const [p50, p99, p999] = percentiles(f.rtts, [50, 99, 99.9]);
  const reasons: string[] = [];
  if (!(failRatio < rule.maxFailRatio)) reasons.push(`${(failRatio * 100).toFixed(2)} % failed`);
  if (!(retransRatio < rule.maxRetransRatio)) reasons.push(`retransmissions ${(retransRatio * 100).toFixed(1)} % of requests`);
  if (!(p99 <= rule.maxP99Ms)) reasons.push(Number.isNaN(p99) ? 'no response times' : `p99 ${p99} ms > ${rule.maxP99Ms} ms`);
  if (f.asked >= 200 && f.offered < rule.minOfferedRatio * f.rate) reasons.push(`sipp offered only ${f.offered.toFixed(0)}/s`);
  return { pass: reasons.length === 0, failed, failRatio, retransRatio, p50, p99, p999, reasons };
}
