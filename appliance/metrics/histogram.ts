/**
 * A fixed-bucket histogram for the hot path: `observe()` is a short loop over the bounds and
 * one increment, no allocation. Buckets are kept per bucket (not cumulative) so that snapshots
 * of several workers add up bucket by bucket; the exposition makes them cumulative
 * (Prometheus `le` buckets, metrics/exposition.ts).
 */
export class Histogram {
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last one is +Inf. */
  private readonly counts: number[];
  private sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.sum += value;
  }

  /** A copy of what was observed since the start (cumulative over time, per bucket). */
  snapshot(): HistogramSnapshot {
    return { counts: [...this.counts], sum: this.sum };
  }
}

/** What a histogram observed since it started, bucket by bucket (the last count is +Inf). */
export interface HistogramSnapshot {
  readonly counts: readonly number[];
  readonly sum: number;
}

/** An empty snapshot for `bounds`. */
export function emptyHistogram(bounds: readonly number[]): HistogramSnapshot {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0 };
}

/** Bucket-by-bucket sum of two snapshots of the same bounds (a missing bucket counts 0). */
export function addHistograms(a: HistogramSnapshot, b: HistogramSnapshot): HistogramSnapshot {
  const n = Math.max(a.counts.length, b.counts.length);
  const counts = new Array<number>(n);
  for (let i = 0; i < n; i++) counts[i] = (a.counts[i] ?? 0) + (b.counts[i] ?? 0);
  return { counts, sum: a.sum + b.sum };
}

/**
 * Call setup (INVITE → first 2xx forwarded upstream), seconds: it includes the ringing, so the
 * buckets go from a phone answering by itself (ms) to a person picking up late (a minute).
 */
export const CALL_SETUP_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

/** DNS answer time inside the worker (query decoded → answer bytes ready), seconds. */
export const DNS_LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
