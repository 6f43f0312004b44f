/**
 * Resident memory of the worker processes around a burst: sampled from /proc/<pid>/status
 * (VmRSS) every 100 ms; the pure `rssFigures` reads the pre-burst figure, the peak and the
 * recovery time (back within 20 % of the pre-burst figure) from the samples.
 */
import { rssBytes } from './appliance-proc.ts';

export interface RssSample {
  /** Epoch ms. */
  readonly t: number;
  readonly bytes: number;
}

/** Samples every given pid until stopped. */
export class RssSampler {
  readonly samples = new Map<number, RssSample[]>();
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly pids: readonly number[], everyMs = 100) {
    for (const pid of pids) this.samples.set(pid, []);
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
  }

  private take(): void {
    const t = Date.now();
    for (const pid of this.pids) {
      const bytes = rssBytes(pid);
      if (bytes !== undefined) this.samples.get(pid)!.push({ t, bytes });
    }
  }

  /** The last sample of `pid`. */
  last(pid: number): RssSample | undefined {
    return this.samples.get(pid)?.at(-1);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** How far above the pre-burst figure counts as recovered (the brief's 20 %). */
export const RECOVERED_WITHIN = 0.2;

export interface RssFigures {
  /** Median over the samples before the burst. */
  readonly beforeBytes: number;
  readonly peakBytes: number;
  /** The last sample (when the bounded wait ended). */
  readonly lastBytes: number;
  /** ms after `burstEnd` until the first sample within 20 % of `beforeBytes`; undefined if none. */
  readonly recoveryMs?: number;
  /** The first sample 30 s after `burstEnd` (transactions linger 32 s, RFC 3261 §17); undefined if sampling ended earlier. */
  readonly at30sBytes?: number;
  /** The first sample 60 s after `burstEnd`. */
  readonly at60sBytes?: number;
}

/** How long after the burst the bench samples at least, for the 30 s and 60 s figures. */
export const FIGURES_UNTIL_MS = 60_000;

/** Pre-burst median, peak from the burst start on, the figures 30 s and 60 s after, and the recovery after the burst's end. */
export function rssFigures(samples: readonly RssSample[], burstStart: number, burstEnd: number): RssFigures | undefined {
  const before = samples.filter((s) => s.t < burstStart).map((s) => s.bytes).sort((a, b) => a - b);
  const during = samples.filter((s) => s.t >= burstStart);
  if (before.length === 0 || during.length === 0) return undefined;
  const beforeBytes = before[Math.floor(before.length / 2)];
  const peakBytes = Math.max(...during.map((s) => s.bytes));
  const back = samples.find((s) => s.t >= burstEnd && s.bytes <= beforeBytes * (1 + RECOVERED_WITHIN));
  const at30 = samples.find((s) => s.t >= burstEnd + 30_000);
  const at60 = samples.find((s) => s.t >= burstEnd + 60_000);
  return {
    beforeBytes, peakBytes, lastBytes: samples[samples.length - 1].bytes, ...(back ? { recoveryMs: back.t - burstEnd } : {}),
    ...(at30 ? { at30sBytes: at30.bytes } : {}), ...(at60 ? { at60sBytes: at60.bytes } : {}),
  };
}
