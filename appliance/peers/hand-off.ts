import type { PeerLink } from './peer-link.ts';
import { PEER_PATHS, peerCpuShare, type HandOffResponse } from './peer-protocol.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** Who moved this appliance's new traffic to a peer: only the policy takes back what the policy handed off. */
export type HandOffCause = 'policy' | 'admin' | 'schedule' | 'situation';

/**
 * Which cause is shown (and decides) when several hold one hand-off, strongest first: the
 * admin's situation switch, then the admin's hand-off, then a schedule window, then the policy.
 * A hand-off lasts while any cause holds it; each cause releases only its own hold.
 */
export const CAUSE_RANK: readonly HandOffCause[] = ['situation', 'admin', 'schedule', 'policy'];

/**
 * The hand-off state as the policy, the UI and the CLI read it. One owner (`HandOffs`) writes
 * it, from the outcome of each attempt, so nobody believes in a hand-off a peer refused.
 */
export interface HandOffStatus {
  /** The peer that holds our new traffic; null when we serve it ourselves. */
  readonly to: string | null;
  /** The strongest cause holding it (CAUSE_RANK). */
  readonly cause: HandOffCause | null;
  /** Every cause holding it, strongest first; the traffic returns when the last one lets go. */
  readonly holds: readonly HandOffCause[];
  /** Epoch ms of the accepted hand-off. */
  readonly since: number | null;
  /** An attempt is under way (its peers are being asked). */
  readonly pending: boolean;
  /** Epoch ms of the last attempt no peer accepted (cleared by a success); for the policy's cool-down. */
  readonly lastFailureAt: number | null;
  /** What the peers answered on that attempt, in words. */
  readonly lastFailure: string | null;
}

/** One peer asked during an attempt. */
export interface HandOffAttempt {
  readonly peer: string;
  readonly outcome: 'accepted' | 'refused' | 'unreachable';
  readonly reason: string;
}

/** The outcome of a hand-off or take-back request. */
export interface HandOffResult {
  readonly ok: boolean;
  readonly message: string;
  readonly attempts?: readonly HandOffAttempt[];
}

/** A hand-off request: one named peer (the admin's choice), or the best of `candidates` (all peers when absent). */
export interface HandOffRequest {
  readonly cause: HandOffCause;
  readonly peer?: string;
  readonly candidates?: readonly string[];
}

/** The status while nothing is handed off and nothing was tried. */
export const NOT_HANDED_OFF: HandOffStatus = { to: null, cause: null, holds: [], since: null, pending: false, lastFailureAt: null, lastFailure: null };

/**
 * The order in which peers are asked to take over (issue 19, groups of three): peers that are
 * up and not handed off themselves, not overloaded first, then the lowest CPU share, then the
 * fewest calls per worker, then the configured preference. A pure function of the last
 * heartbeat summaries.
 */
export function handOffOrder(links: readonly PeerLink[], preferred?: readonly string[]): PeerLink[] {
  const rank = (l: PeerLink) => (preferred ? preferred.indexOf(l.name) : links.indexOf(l));
  const load = (l: PeerLink) => {
    const s = l.lastSummary;
    return {
      overloaded: s?.overloaded ? 1 : 0,
      cpuShare: peerCpuShare(s) ?? 0.5,
      perWorker: s ? s.activeCalls / Math.max(1, s.workers) : 0,
    };
  };
  return links
    .filter((l) => l.state === 'up' && !l.lastSummary?.handedOff && rank(l) >= 0)
    .map((l) => ({ l, k: load(l), r: rank(l) }))
    .sort((a, b) => a.k.overloaded - b.k.overloaded || a.k.cpuShare - b.k.cpuShare || a.k.perWorker - b.k.perWorker || a.r - b.r)
    .map((x) => x.l);
}

/**
 * The one owner of this appliance's hand-off (issue 13, item 1): asks peers in turn until one
 * accepts, records the outcome (accepted → handed off, with its cause; none → the failure time
 * the policy waits out before it tries again), and takes the traffic back.
 */
export class HandOffs {
  private toLink: PeerLink | null = null;
  private state: HandOffStatus = NOT_HANDED_OFF;

  constructor(private readonly deps: {
    readonly links: readonly PeerLink[];
    readonly self: string;
    readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
    /** The roles changed (SRV targets, SIP admission). */
    readonly onChange: () => void;
    /** Holds were let go of (`by` whom; `peer-down`: the peer went down), for the schedule and the situation switch. */
    readonly onReleased?: (causes: readonly HandOffCause[], by: HandOffCause | 'peer-down') => void;
    readonly now?: () => number;
  }) {}

  /** The peer holding our new traffic. */
  get to(): PeerLink | null {
    return this.toLink;
  }

  get status(): HandOffStatus {
    return this.state;
  }

  /**
   * Asks the named peer, or the candidates in `handOffOrder`, until one accepts. Already handed
   * off: a schedule or the situation switch joins the hand-off in place (its hold is added, the
   * peer keeps the traffic; a named peer must be the one holding it); the policy and the admin's
   * button are told it is already handed off.
   */
  async handOff(req: HandOffRequest): Promise<HandOffResult> {
    if (this.state.pending) return { ok: false, message: 'a hand-off is already under way' };
    if (this.toLink) {
      const joins = req.cause === 'schedule' || req.cause === 'situation';
      if (!joins || (req.peer !== undefined && req.peer !== this.toLink.name)) return { ok: false, message: `already handed off to ${this.toLink.name}` };
      if (!this.state.holds.includes(req.cause)) {
        this.setHolds([...this.state.holds, req.cause]);
        this.deps.log('peer.hand-off.held', `the hand-off to ${this.toLink.name} is now held by ${req.cause} too (${this.state.holds.join(', ')})`, { peer: this.toLink.name, cause: req.cause, holds: this.state.holds });
        this.deps.onChange();
      }
      return { ok: true, message: `handed off to ${this.toLink.name}` };
    }
    const named = req.peer !== undefined ? this.deps.links.find((l) => l.name === req.peer) : undefined;
    if (req.peer !== undefined && !named) return { ok: false, message: `no peer named ${req.peer}` };
    const order = named ? [named] : handOffOrder(this.deps.links, req.candidates);
    if (order.length === 0) return this.failed([], 'no peer is up to take over');
    this.state = { ...this.state, pending: true };
    const attempts: HandOffAttempt[] = [];
    try {
      for (const link of order) {
        const attempt = await this.ask(link);
        attempts.push(attempt);
        if (attempt.outcome !== 'accepted') {
          this.deps.log('peer.hand-off.refused', `${link.name} did not take over: ${attempt.reason}`, { peer: link.name, outcome: attempt.outcome, cause: req.cause });
          continue;
        }
        this.toLink = link;
        this.state = { to: link.name, cause: req.cause, holds: [req.cause], since: this.now(), pending: false, lastFailureAt: null, lastFailure: null };
        this.deps.log('peer.hand-off', `new traffic handed off to ${link.name} (${req.cause})`, { peer: link.name, cause: req.cause, attempts });
        this.deps.onChange();
        return { ok: true, message: `handed off to ${link.name}`, attempts };
      }
    } finally {
      if (this.state.pending) this.state = { ...this.state, pending: false };
    }
    return this.failed(attempts, attempts.map((a) => `${a.peer} ${a.outcome}: ${a.reason}`).join('; '));
  }

  /**
   * `cause` lets go of the hand-off; the traffic comes back when no cause holds it any more.
   * The policy and a schedule release only their own hold. The admin's take-back releases every
   * hold but the situation switch's (refused while it is on: the switch is the admin's own, to
   * switch off); the situation switch, switched off, releases its own.
   */
  async takeBack(cause: HandOffCause = 'admin'): Promise<HandOffResult> {
    const link = this.toLink;
    if (!link) return { ok: false, message: 'nothing was handed off' };
    const holds = this.state.holds;
    if (cause === 'admin' && holds.includes('situation')) return { ok: false, message: `the situation switch holds the hand-off to ${link.name}: switch it off to take the traffic back` };
    const left = cause === 'admin' ? [] : holds.filter((c) => c !== cause);
    if (left.length === holds.length && cause !== 'admin') return { ok: false, message: `the hand-off to ${link.name} is not held by ${cause} (${holds.join(', ')})` };
    this.deps.onReleased?.(holds.filter((c) => !left.includes(c)), cause);
    if (left.length > 0) {
      this.setHolds(left);
      this.deps.log('peer.hand-off.held', `${cause} let go; the hand-off to ${link.name} stays, held by ${left.join(', ')}`, { peer: link.name, cause, holds: left });
      this.deps.onChange();
      return { ok: true, message: `still handed off to ${link.name} (held by ${left.join(', ')})` };
    }
    this.clear();
    try {
      await link.post(PEER_PATHS.takeBack, { from: this.deps.self });
    } catch (err) {
      this.deps.log('peer.take-back', `took traffic back (${cause}); ${link.name} could not be told: ${(err as Error).message}`, { peer: link.name, cause });
      return { ok: true, message: `taken back (${link.name} unreachable)` };
    }
    this.deps.log('peer.take-back', `took new traffic back from ${link.name} (${cause})`, { peer: link.name, cause });
    return { ok: true, message: `taken back from ${link.name}` };
  }

  /** A peer went down: if it held our traffic, we serve it again. */
  peerDown(link: PeerLink): void {
    if (this.toLink !== link) return;
    const holds = this.state.holds;
    this.deps.log('peer.take-back', `${link.name} is down: serving our new traffic again`, { peer: link.name, cause: 'peer-down', holds });
    this.clear();
    this.deps.onReleased?.(holds, 'peer-down');
  }

  private setHolds(holds: readonly HandOffCause[]): void {
    const ranked = CAUSE_RANK.filter((c) => holds.includes(c));
    this.state = { ...this.state, holds: ranked, cause: ranked[0] ?? null };
  }

  private clear(): void {
    this.toLink = null;
    this.state = NOT_HANDED_OFF;
    this.deps.onChange();
  }

  private async ask(link: PeerLink): Promise<HandOffAttempt> {
    try {
      const answer = await link.post<HandOffResponse>(PEER_PATHS.handOff, { from: this.deps.self });
      return { peer: link.name, outcome: answer.accepted ? 'accepted' : 'refused', reason: answer.reason };
    } catch (err) {
      return { peer: link.name, outcome: 'unreachable', reason: (err as Error).message };
    }
  }

  private failed(attempts: HandOffAttempt[], why: string): HandOffResult {
    this.state = { ...this.state, pending: false, lastFailureAt: this.now(), lastFailure: why };
    return { ok: false, message: `no peer took over: ${why}`, attempts };
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }
}
