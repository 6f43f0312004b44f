/**
 * How one connection control section judges its own load, without waiting for the control
 * section's sample (issue 12: one hot flow pinned to one worker by the kernel's reuseport hash
 * left it at a CPU share of 1.0 while the mean over the workers stayed low, and nothing was shed).
 * A pure function over what the worker measures every tick (load-monitor.ts):
 * - event-loop lag: how late a timer fires; when the worker cannot keep up, the datagrams wait
 *   in the socket buffer and the lag is the time they wait;
 * - the rate of new dialogs and registrations offered: lag without load (a start-up, a garbage
 *   collection, a slow disk write) is not overload, so lag sheds only at `minRate` or more;
 * - open transactions against the cap (`[security] max_transactions`);
 * - the bytes waiting in the kernel's receive buffers of its sockets (transport/receive-queue.ts):
 *   a worker that reads a datagram per turn of its loop keeps its timers on time while its
 *   buffer fills, so the lag alone let seconds of backlog build up (bench/faults: 7 MB, ~2 s).
 * Saturated (lag ≥ `shedLagMs` on two ticks in a row under load, open ≥ `shedOpenPercent`
 * of the cap, or a receive backlog ≥ `shedQueueBytes`): the admitted share of new dialogs and
 * registrations drops by 30 % at once (down to 2 %); calm (lag < `calmLagMs`, open below half
 * that share and the backlog below a quarter of its threshold): it grows back by 5 points a
 * tick (full in 1 s at 50 ms ticks); in between it holds. Multiplicative decrease, additive increase: the shape TCP and RFC 7339's
 * loss-based overload control use, so the admitted load settles just below what the worker can do.
 */
export interface WorkerLoadSignals {
  /** How late the last tick's timer fired, ms. */
  readonly lagMs: number;
  /** How late the tick before fired, ms. */
  readonly previousLagMs: number;
  /** New INVITEs and REGISTERs offered per second since the last tick. */
  readonly offeredPerSecond: number;
  readonly openTransactions: number;
  readonly maxTransactions: number;
  /** Bytes waiting in the kernel's receive buffers of the worker's sockets (0 where unknown). */
  readonly queuedBytes?: number;
}

export interface WorkerLoadSettings {
  readonly shedLagMs: number;
  readonly calmLagMs: number;
  readonly shedOpenPercent: number;
  /** Offered new requests/s below which lag alone never sheds. */
  readonly minRate: number;
  /** Receive backlog (bytes) from which the worker is saturated; 0: not judged. */
  readonly shedQueueBytes?: number;
}

/** The lowest admitted share: some new calls keep getting through, so recovery is seen. */
export const MIN_ADMIT = 0.02;

/** The admitted share of new work (0..1) after one tick. */
export function nextAdmitShare(previous: number, s: WorkerLoadSignals, cfg: WorkerLoadSettings): number {
  const openShare = s.maxTransactions > 0 ? (100 * s.openTransactions) / s.maxTransactions : 0;
  const lagging = s.lagMs >= cfg.shedLagMs && s.previousLagMs >= cfg.shedLagMs && s.offeredPerSecond >= cfg.minRate;
  const limit = cfg.shedQueueBytes ?? 0;
  const queued = s.queuedBytes ?? 0;
  const backlog = limit > 0 && queued >= limit;
  if (backlog) return backlogCut(previous, queued, limit);
  if (lagging || openShare >= cfg.shedOpenPercent) return Math.max(MIN_ADMIT, Math.min(previous, 1) * 0.7);
  const drained = limit <= 0 || queued < limit / 4;
  if (s.lagMs < cfg.calmLagMs && drained && openShare < cfg.shedOpenPercent / 2) return Math.min(1, previous + 0.05);
  return previous;
}

/**
 * The share after a receive backlog of `queued` bytes over the threshold `limit`: cut by 30 %,
 * or in proportion when the backlog is further over (a backlog of 4 × the threshold quarters
 * the share, never below a tenth of it at once): what is queued waits behind the backlog
 * whatever is admitted now, so the further over, the faster the cut.
 */
export function backlogCut(previous: number, queued: number, limit: number): number {
  const factor = Math.min(0.7, Math.max(0.1, limit / Math.max(queued, 1)));
  return Math.max(MIN_ADMIT, Math.min(previous, 1) * factor);
}

/**
 * Admits exactly `share` of the requests offered, spread evenly (a credit counter, not a coin
 * toss: the same share on every run, and no burst of refusals in a row).
 */
export class ShareGate {
  private credit = 0;

  admit(share: number): boolean {
    if (share >= 1) {
      this.credit = 0;
      return true;
    }
    this.credit += share;
    if (this.credit >= 1) {
      this.credit -= 1;
      return true;
    }
    return false;
  }
}
