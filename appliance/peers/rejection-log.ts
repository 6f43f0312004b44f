import type { PeerChangesVerdict, PeerRejectReason } from './peer-binding-rules.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** At most one `peer.bindings.rejected` event per peer in this long. */
export const REJECTION_LOG_INTERVAL_MS = 60_000;

type Counts = Partial<Record<PeerRejectReason, number>>;

interface PeerTally {
  lastLoggedAt: number;
  /** Refused since the last event (not yet written). */
  counts: Counts;
  batches: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Refused replicated bindings, counted and written to the event log once per batch and at most
 * once per REJECTION_LOG_INTERVAL_MS per peer: a peer sending junk in a loop cannot fill the
 * event log (issue 10 finding 7). What is held back is written, summed, when the interval ends.
 */
export class RejectionLog {
  /** Refused changes per peer since start, by reason (for status and tests). */
  readonly totals = new Map<string, Counts>();
  private readonly tallies = new Map<string, PeerTally>();

  constructor(
    private readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void,
    private readonly intervalMs = REJECTION_LOG_INTERVAL_MS,
  ) {}

  /** Records one batch's refusals (nothing when the batch had none). */
  note(peer: string, verdict: PeerChangesVerdict, now = Date.now()): void {
    if (verdict.rejectedCount === 0) return;
    const total = this.totals.get(peer) ?? {};
    addInto(total, verdict.rejected);
    this.totals.set(peer, total);
    const tally = this.tallies.get(peer) ?? { lastLoggedAt: -Infinity, counts: {}, batches: 0 };
    this.tallies.set(peer, tally);
    addInto(tally.counts, verdict.rejected);
    tally.batches++;
    const due = tally.lastLoggedAt + this.intervalMs;
    if (now >= due) this.write(peer, tally, now);
    else tally.timer ??= unref(setTimeout(() => this.write(peer, tally, Date.now()), due - now));
  }

  /** Writes what is held back and stops the timers (shutdown). */
  stop(): void {
    for (const [peer, tally] of this.tallies) if (tally.batches > 0) this.write(peer, tally, Date.now());
  }

  private write(peer: string, tally: PeerTally, now: number): void {
    clearTimeout(tally.timer);
    tally.timer = undefined;
    if (tally.batches === 0) return;
    const n = Object.values(tally.counts).reduce((a, b) => a + (b ?? 0), 0);
    const why = Object.entries(tally.counts).map(([reason, count]) => `${reason} ${count}`).join(', ');
    this.log('peer.bindings.rejected', `refused ${n} binding change(s) from peer ${peer} in ${tally.batches} batch(es): ${why}`, {
      peer, refused: n, batches: tally.batches, reasons: { ...tally.counts },
    });
    tally.lastLoggedAt = now;
    tally.counts = {};
    tally.batches = 0;
  }
}

function addInto(into: Counts, from: Counts): void {
  for (const [reason, count] of Object.entries(from) as [PeerRejectReason, number][]) into[reason] = (into[reason] ?? 0) + count;
}

function unref<T extends ReturnType<typeof setTimeout>>(t: T): T {
  (t as { unref?: () => void }).unref?.();
  return t;
}
