import type { Source } from '../message/types.ts';
import { peekRequest } from '../transport/datagram-peek.ts';
import type { SiblingLink } from '../transport/sibling-link.ts';
import type { AdmissionControl } from './admission-control.ts';
import { chooseSibling, type SpreadSettings } from './spread-choice.ts';
import { ShareGate } from './worker-load.ts';

/** What the receive path does with a datagram after the spreader saw it. */
export type SpreadOutcome =
  /** Handed to a sibling: nothing more to do here. */
  | 'handed'
  /** A new request kept here under pressure, in place of one of those handed: admitted. */
  | 'kept'
  /** Not the spreader's business: the normal path (which may still shed it). */
  | 'pass';

/** How long a Call-ID's placement is remembered: one INVITE transaction's life (64·T1, RFC 3261 §17.1.1.2), twice over. */
const GENERATION_MS = 32_000;
/** Placements remembered per generation at most (a flood of new Call-IDs cannot grow memory without bound). */
const MAX_REMEMBERED = 200_000;
/** Ours, in the placement maps. */
const HERE = -1;

/**
 * One hot flow across workers (issue 12): the kernel's reuseport hash pins one source
 * address:port (a trunk, a gateway) to one worker. While that worker is saturated (its own
 * admitted share below 1, worker-load.ts), the new INVITEs and REGISTERs it would refuse go to
 * a calm sibling instead (spread-choice.ts), before any work is spent on them (a scan of the
 * datagram, transport/datagram-peek.ts); 503 + Retry-After only when no sibling is calm.
 * Everything else of that Call-ID (retransmissions, CANCEL, ACK, BYE) follows it to the same
 * worker, so exactly one server transaction exists for each request and the outgoing branch
 * (proxy/branch.ts) leaves from one Via. A handed request is never handed again. UDP only:
 * a TCP or TLS flow's responses must leave on its connection, which lives in this worker.
 */
export class FlowSpreader {
  private placed = new Map<string, number>();
  private older = new Map<string, number>();
  private rotatedAt = performance.now();
  private turn = 0;
  private readonly gate = new ShareGate();
  /** Datagrams handed to siblings since start. */
  handedOut = 0;
  /** Datagrams siblings handed to us since start. */
  handedIn = 0;

  constructor(
    private readonly link: SiblingLink,
    private readonly admission: AdmissionControl,
    private readonly settings: SpreadSettings & {
      /** From this lag on (`[overload] calm_lag_ms`), placements are remembered. */
      readonly busyLagMs: number;
    },
  ) {}

  offer(data: Buffer, source: Source): SpreadOutcome {
    if (source.handed) {
      this.handedIn++;
      return 'pass';
    }
    if (source.transport !== 'udp' || !this.link.hasSiblings) return 'pass';
    const a = this.admission;
    const pressed = a.localShare < 1 && !a.draining;
    // Busy but not yet refusing: remember what stays here, so that a retransmission arriving
    // once the refusing starts is not mistaken for new work and placed twice.
    const busy = pressed || a.lagMs >= this.settings.busyLagMs;
    if (!busy && this.placed.size === 0 && this.older.size === 0) return 'pass';
    const peek = peekRequest(data);
    if (!peek) return 'pass';
    const now = performance.now();
    this.rotate(now);
    const where = this.placed.get(peek.callId) ?? this.older.get(peek.callId);
    if (where !== undefined && where !== HERE) {
      // Its sibling went quiet (stopped, crashed): what remains of the call is handled here.
      if (this.link.heardWithin(where, 1000, now) && this.link.hand(where, data, source)) {
        this.handedOut++;
        return 'handed';
      }
      return 'pass';
    }
    if (where === HERE || peek.inDialog || (peek.method !== 'INVITE' && peek.method !== 'REGISTER')) return 'pass';
    if (!pressed) {
      if (busy) this.placed.set(peek.callId, HERE);
      return 'pass';
    }
    if (this.gate.admit(a.localShare)) {
      this.placed.set(peek.callId, HERE);
      return 'kept';
    }
    const sibling = chooseSibling(this.link.siblingLoads(), now, this.turn++, this.settings, a.localShare);
    if (sibling === undefined || !this.link.hand(sibling, data, source)) return 'pass';
    this.placed.set(peek.callId, sibling);
    this.handedOut++;
    return 'handed';
  }

  /** Call-IDs whose placement is remembered now (both generations). */
  get remembered(): number {
    return this.placed.size + this.older.size;
  }

  /**
   * Called on every load-monitor tick: placements age out even when no datagram comes (after a
   * burst the maps would otherwise hold their entries, megabytes of them, until the next one).
   */
  tick(now = performance.now()): void {
    if (this.placed.size > 0 || this.older.size > 0) this.rotate(now);
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < GENERATION_MS && this.placed.size < MAX_REMEMBERED) return;
    this.older = this.placed;
    this.placed = new Map();
    this.rotatedAt = now;
  }
}
