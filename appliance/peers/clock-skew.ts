import type { EventKind } from '../../system/log/event-kinds.ts';

/**
 * Clock skew between members (issue 19). Last writer wins per row compares versions made from
 * each member's wall clock, so two edits of one row made less than the skew apart are won by
 * the member whose clock is ahead, not by the later one (docs/PEERS.md "Clock skew").
 *
 * Above CLOCK_SKEW_WARN_MS a warning: NTP keeps the members of a LAN within milliseconds of each
 * other, so 2 s is a clock that is not synchronised, not jitter; it is far above a heartbeat's
 * round trip even on a loaded box (the measurement's uncertainty is taken off first); and it is
 * within the time of real conflicts (an admin's edit on one member and a phone's feature code
 * on another). Well below the limits that refuse outright: 30 s for a peer request's timestamp
 * and 60 s for a configuration version ahead of ours.
 */
export const CLOCK_SKEW_WARN_MS = 2000;
/** At most one warning per peer in this long while its clock stays off. */
export const CLOCK_SKEW_LOG_INTERVAL_MS = 10 * 60_000;

/** One measurement of a peer's clock against ours. */
export interface ClockSample {
  /** The peer's clock minus ours, ms (positive: the peer is ahead). */
  readonly offsetMs: number;
  /** Half the round trip: the true offset is within offsetMs ± this. */
  readonly uncertaintyMs: number;
}

/**
 * The offset from one heartbeat round trip (RFC 5905 §8's offset with the peer's single
 * timestamp): the peer read its clock between our send and its answer's arrival, so it is
 * compared with the middle of the two, within half the round trip. Undefined for a timestamp
 * that is not a number (an answer of an older or broken peer).
 */
export function clockSample(sentAt: number, receivedAt: number, peerTs: unknown): ClockSample | undefined {
  if (typeof peerTs !== 'number' || !Number.isFinite(peerTs) || receivedAt < sentAt) return undefined;
  return { offsetMs: Math.round(peerTs - (sentAt + receivedAt) / 2), uncertaintyMs: Math.ceil((receivedAt - sentAt) / 2) };
}

/** Whether the sample shows a difference certainly above the limit (its uncertainty taken off). */
export function clockSkewed(s: ClockSample, limitMs = CLOCK_SKEW_WARN_MS): boolean {
  return Math.abs(s.offsetMs) - s.uncertaintyMs > limitMs;
}

/** What the status shows of a peer's clock. */
export interface PeerClock extends ClockSample {
  /** When it was measured (our clock). */
  readonly at: number;
  readonly skewed: boolean;
}

/**
 * The last clock measurement of each peer, and its events: `peer.clock.skewed` (a warning) when
 * a peer's clock is off by more than the limit, at most once per CLOCK_SKEW_LOG_INTERVAL_MS per
 * peer while it stays off, and `peer.clock.ok` once when it is back within after a warning.
 */
export class ClockWatch {
  private readonly clocks = new Map<string, PeerClock>();
  /** When a warning was last written per peer, and whether no `peer.clock.ok` followed it yet. */
  private readonly warned = new Map<string, { at: number; open: boolean }>();

  constructor(
    private readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void,
    private readonly intervalMs = CLOCK_SKEW_LOG_INTERVAL_MS,
  ) {}

  /** The peer's last measurement, or null before the first. */
  of(peer: string): PeerClock | null {
    return this.clocks.get(peer) ?? null;
  }

  note(peer: string, s: ClockSample, now: number): void {
    const skewed = clockSkewed(s);
    this.clocks.set(peer, { ...s, at: now, skewed });
    const details = { peer, offsetMs: s.offsetMs, uncertaintyMs: s.uncertaintyMs, limitMs: CLOCK_SKEW_WARN_MS };
    const w = this.warned.get(peer);
    if (skewed) {
      // A clock flapping around the limit writes one warning (and one "ok") per interval, not one per crossing.
      if (w !== undefined && now - w.at < this.intervalMs) return;
      this.warned.set(peer, { at: now, open: true });
      const dir = s.offsetMs > 0 ? 'ahead of' : 'behind';
      this.log('peer.clock.skewed', `the clock of ${peer} is ${(Math.abs(s.offsetMs) / 1000).toFixed(1)} s ${dir} ours (± ${s.uncertaintyMs} ms; more than ${CLOCK_SKEW_WARN_MS / 1000} s): ` +
        'the later of two edits of one row may lose; run NTP on every member', details);
    } else if (w?.open) {
      w.open = false;
      this.log('peer.clock.ok', `the clock of ${peer} is within ${CLOCK_SKEW_WARN_MS / 1000} s of ours again (${s.offsetMs} ms)`, details);
    }
  }
}
