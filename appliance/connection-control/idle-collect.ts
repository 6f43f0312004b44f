/**
 * A full garbage collection when a worker turns idle after a burst (issue 12: memory after a
 * burst). JSC collects when the program allocates; a worker that goes quiet after a burst
 * allocates next to nothing, so the garbage of the burst (every ended transaction, its
 * messages, timers and closures) stayed until the next load, and the RSS with it: measured
 * with `bun:jsc` heapStats 60 s after a 3,000 calls/s burst, a worker held 40 MB of JS heap in
 * 604,000 cells, of which one full collection left 7.4 MB and 66,000. Collecting during load
 * worsened latency (tried), so the decision waits until the burst's transactions have ended
 * (their 32 s linger, RFC 3261 §17.1.1.2 Timer D, §17.2.2 Timer J, RFC 6026 Timer L/M) and no
 * new work is coming.
 */

/** When a collection is worth it and harmless. */
export interface IdleCollectSettings {
  /** What the worker must have held since the last collection (open transactions, placements): a burst. */
  readonly burst: number;
  /** "Drained": held at most this many, or `drainedShare` of the peak if more. */
  readonly drained: number;
  readonly drainedShare: number;
  /** New dialogs and registrations offered per second at most (no load is coming in). */
  readonly quietPerSecond: number;
  /** Event-loop lag at most, ms (the loop is not busy). */
  readonly quietLagMs: number;
  /** At most one collection per this many ms. */
  readonly minIntervalMs: number;
}

/** The values used: a burst is 1,000 open transactions (an office's steady load stays far below). */
export const IDLE_COLLECT: IdleCollectSettings = {
  burst: 1000, drained: 100, drainedShare: 0.05, quietPerSecond: 20, quietLagMs: 20, minIntervalMs: 60_000,
};

/** One reading of the worker, every second. */
export interface IdleSample {
  /** ms, monotonic. */
  readonly now: number;
  /** What the burst left held: open transactions, or the flow spreader's remembered placements. */
  readonly held: number;
  /** New dialogs and registrations offered since start (a counter). */
  readonly offered: number;
  readonly lagMs: number;
}

/** What the decision remembers between readings. */
export interface IdleCollectState {
  /** Highest `held` since the last collection. */
  readonly peak: number;
  readonly lastCollectAt: number;
  readonly lastSample?: IdleSample;
}

export const INITIAL_IDLE_STATE: IdleCollectState = { peak: 0, lastCollectAt: -Infinity };

/** Pure: whether to collect now, and the state after this reading. */
export function idleCollectDecision(state: IdleCollectState, s: IdleSample, cfg: IdleCollectSettings = IDLE_COLLECT): { collect: boolean; state: IdleCollectState } {
  const peak = Math.max(state.peak, s.held);
  const prev = state.lastSample;
  const seconds = prev ? (s.now - prev.now) / 1000 : 0;
  const offeredPerSecond = seconds > 0 ? (s.offered - prev!.offered) / seconds : Infinity;
  const collect = peak >= cfg.burst
    && s.held <= Math.max(cfg.drained, peak * cfg.drainedShare)
    && offeredPerSecond <= cfg.quietPerSecond
    && s.lagMs <= cfg.quietLagMs
    && s.now - state.lastCollectAt >= cfg.minIntervalMs;
  return collect
    ? { collect, state: { peak: s.held, lastCollectAt: s.now, lastSample: s } }
    : { collect, state: { ...state, peak, lastSample: s } };
}

/** The edge: reads the worker every second and collects when the decision says so. */
export class IdleCollector {
  private state = INITIAL_IDLE_STATE;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly read: () => Omit<IdleSample, 'now'>,
    /** The collection itself (`Bun.gc(true)` in a worker). */
    private readonly collect: () => void,
    /** Told after each collection: the peak it followed and how long it took, ms. */
    private readonly onCollected: (peak: number, ms: number) => void = () => {},
    private readonly cfg: IdleCollectSettings = IDLE_COLLECT,
  ) {}

  /** Starts the readings (unref'd: they never keep a process alive). */
  start(everyMs = 1000): void {
    this.timer = setInterval(() => this.check(performance.now()), everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One reading; guarded, since a throw in a timer must not end a worker. */
  check(now: number): boolean {
    try {
      const peak = this.state.peak;
      const d = idleCollectDecision(this.state, { now, ...this.read() }, this.cfg);
      this.state = d.state;
      if (!d.collect) return false;
      const t0 = performance.now();
      this.collect();
      this.onCollected(Math.max(peak, d.state.peak), performance.now() - t0);
      return true;
    } catch {
      return false;
    }
  }
}
