/** Small pure helpers: percentiles and the rate search. */
import { percentiles } from './step-rule.ts';

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  return percentiles(values, [p])[0];
}

export interface SearchOptions {
  start: number;
  factor: number;
  bisectSteps: number;
  max: number;
  /** Rates are rounded to this granularity. */
  grain: number;
  /** Probe the first failing ramp rate once more before believing it (it sets the bracket). */
  confirmFirstFailure: boolean;
}

/**
 * Ramps the rate by `factor` from `start` while `probe` passes, then bisects between the last
 * pass and the first failure (optionally probed twice: one stall of a shared box should not
 * halve the bracket). Returns the highest passing rate (0 if even the lowest tried
 * rate fails after bisecting down).
 */
export async function searchMaxRate(
  probe: (rate: number) => Promise<boolean>,
  o: SearchOptions,
): Promise<number> {
  const round = (r: number) => Math.max(o.grain, Math.round(r / o.grain) * o.grain);
  let good = 0;
  let bad: number | undefined;
  for (let rate = round(o.start); rate <= o.max; rate = round(rate * o.factor)) {
    if ((await probe(rate)) || (o.confirmFirstFailure && (await probe(rate)))) {
      good = rate;
    } else {
      bad = rate;
      break;
    }
  }
  if (bad === undefined) return good;
  for (let i = 0; i < o.bisectSteps; i++) {
    const mid = round((good + bad) / 2);
    if (mid <= good || mid >= bad) break;
    if (await probe(mid)) good = mid;
    else bad = mid;
  }
  return good;
}
