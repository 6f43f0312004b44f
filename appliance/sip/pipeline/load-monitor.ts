import type { OverloadConfig } from '../../../system/config/index.ts';
import type { AdmissionControl } from './admission-control.ts';
import { backlogCut, nextAdmitShare } from './worker-load.ts';

/** What the monitor reads of its worker. */
export interface LoadSource {
  readonly admission: AdmissionControl;
  readonly openTransactions: number;
  /** Transactions still waiting for a final response (a count, O(1): transaction-layer.ts). */
  readonly pendingTransactions: number;
}

/** Bytes waiting in the kernel's receive buffers of the worker's sockets (transport/receive-queue.ts). */
export interface QueueSource {
  read(): number;
}

/** The tick: short enough that a saturated worker sheds within a fraction of a second. */
const TICK_MS = 50;
/**
 * How often the receive path reads the backlog between ticks. A worker busy reading datagrams
 * runs its timer late (measured: every ~150 ms under a hot flow), while its socket buffer
 * filled by 1.5 MB in that time; the receive path cuts the share as soon as it sees the backlog.
 */
const QUEUE_CHECK_MS = 20;

/**
 * The edge of worker-load.ts: every 50 ms it measures how late it is (the event-loop lag) and
 * the open transactions, and sets the worker's admitted share of new work. A saturated event
 * loop runs its timers late or not at all while datagrams keep coming (measured: the timer of
 * a worker flooded by one hot flow fired only after the burst), so the receive path asks too:
 * each new request offered checks whether the tick is overdue by `shed_lag_ms`, and if it is,
 * the tick runs then, with the lag seen. The timer is unref'd (it never keeps a process alive)
 * and guarded (a throw here must not end a worker).
 */
export class LoadMonitor {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expected = performance.now() + TICK_MS;
  private lastAt = performance.now();
  private lastOffered = 0;
  private queueAt = -Infinity;
  /** The last lag measured, ms (reports, tests). */
  lagMs = 0;
  /** The receive backlog read at the last tick, bytes (reports, tests). */
  queuedBytes = 0;
  /** Told the admitted share and lag after each tick (the beacons to sibling workers). */
  onTick: ((share: number, lagMs: number) => void) | undefined;

  constructor(
    private readonly source: LoadSource,
    private readonly cfg: OverloadConfig,
    private readonly maxTransactions: number,
    private readonly queue?: QueueSource,
  ) {}

  start(): void {
    this.source.admission.probe = (now) => {
      if (now - this.expected >= this.cfg.shedLagMs) this.tick(now);
      else if (now - this.queueAt >= QUEUE_CHECK_MS) this.checkQueue(now);
    };
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.source.admission.probe = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.tick(performance.now());
      if (this.timer) this.schedule();
    }, TICK_MS);
    this.timer.unref?.();
  }

  /** Reads the backlog (0 when not judged: `shed_queue_kb = 0` or no source) and tells the admission. */
  private readQueue(now: number): number {
    this.queueAt = now;
    this.queuedBytes = this.cfg.shedQueueBytes > 0 && this.queue ? this.queue.read() : 0;
    this.source.admission.queuedBytes = this.queuedBytes;
    return this.queuedBytes;
  }

  /** Between ticks: a backlog over the threshold cuts the admitted share at once (worker-load.ts `backlogCut`). */
  private checkQueue(now: number): void {
    try {
      const a = this.source.admission;
      if (this.readQueue(now) >= this.cfg.shedQueueBytes && this.cfg.shedQueueBytes > 0) a.localShare = backlogCut(a.localShare, this.queuedBytes, this.cfg.shedQueueBytes);
    } catch {
      // keep the last share
    }
  }

  private tick(now: number): void {
    try {
      const previousLagMs = this.lagMs;
      this.lagMs = Math.max(0, now - this.expected);
      this.expected = now + TICK_MS;
      const a = this.source.admission;
      a.lagMs = this.lagMs;
      const offeredPerSecond = ((a.offered - this.lastOffered) * 1000) / Math.max(1, now - this.lastAt);
      this.lastOffered = a.offered;
      this.lastAt = now;
      // Only transactions with work left count (admission-control.ts `lingering`).
      const open = this.source.openTransactions;
      const active = Math.min(open, this.source.pendingTransactions);
      a.lingering = open - active;
      this.readQueue(now);
      a.localShare = nextAdmitShare(a.localShare, {
        lagMs: this.lagMs, previousLagMs, offeredPerSecond, openTransactions: active, maxTransactions: this.maxTransactions, queuedBytes: this.queuedBytes,
      }, this.cfg);
      this.onTick?.(a.localShare, this.lagMs);
    } catch {
      // keep the last share; the next tick tries again
    }
  }
}
