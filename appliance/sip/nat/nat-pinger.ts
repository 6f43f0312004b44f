import { randomBytes } from 'node:crypto';
import type { BindingRecord } from '../../../system/store/index.ts';
import { parseSourceKey } from '../../../system/store/source-key.ts';
import { SERVER_NAME } from '../message/encode.ts';
import type { SipRequest } from '../message/types.ts';
import { uriHost } from '../message/uri.ts';
import type { LocationView } from '../registrar/location-view.ts';
import { bindingDestination } from '../registrar/binding-destination.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { Destination } from '../transport/transport.ts';
import { answered, duePings, firstPing, lost, pingsPerTick, sent, type PingState } from './ping-schedule.ts';
import type { EventKind } from '../../../system/log/event-kinds.ts';

/** What the pinger needs from the SIP service. */
export interface NatPingerDeps {
  readonly location: LocationView;
  /** Starts a client transaction for a request of ours (RFC 3261 §17.1.2) and returns it. */
  readonly request: (req: SipRequest, dest: Destination, user: ClientTransactionUser) => ClientTransaction | undefined;
  /** Our address towards `address` (its family's, dual stack) and this worker's own Via port (answers come back to this worker). */
  readonly identity: (address: string) => { readonly advertise: string; readonly viaPort: number; readonly domain: string };
  /** `[sip] nat_ping_interval` in seconds (> 0). */
  readonly intervalS: number;
  /** `[sip] nat_ping_failures`: losses in a row that remove the binding (0: never). */
  readonly maxFailures: number;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
}

/** Counters, for tests and the operating state. */
export interface NatPingStats {
  sent: number;
  answered: number;
  lost: number;
  removed: number;
}

/**
 * OPTIONS keep-alive pings to the UDP bindings behind NAT that this worker took (Kamailio's
 * nathelper `natping_interval` with `sipping_bflag`, OpenSIPS's `remove_on_timeout_bflag`):
 * each such binding gets a ping every interval, sent from the shared port the phone registered
 * to, so the NAT pinhole it opened towards that port is the one refreshed. LAN phones (not
 * behind NAT), TCP phones (they keep their connection with CRLF keep-alives, RFC 5626 §4.4.1)
 * and bindings other workers took are never pinged here. A tick sends a bounded number.
 */
export class NatPinger {
  readonly stats: NatPingStats = { sent: 0, answered: 0, lost: 0, removed: 0 };
  private readonly states = new Map<string, PingState>();
  private readonly pending = new Map<string, ClientTransaction>();
  private timer?: ReturnType<typeof setInterval>;
  private readonly intervalMs: number;
  private readonly tickMs: number;
  private cseq = 1;
  private readonly callIdBase = randomBytes(6).toString('hex');

  constructor(private readonly deps: NatPingerDeps) {
    this.intervalMs = deps.intervalS * 1000;
    // Ticks of a second spread the pings (a quarter of the interval when it is shorter).
    this.tickMs = Math.min(1000, Math.max(50, this.intervalMs / 4));
  }

  start(): void {
    this.timer ??= setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.deps.log('sip.nat.error', `NAT ping tick failed: ${(err as Error)?.message ?? err}`);
      }
    }, this.tickMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const ct of this.pending.values()) ct.terminate();
    this.pending.clear();
  }

  /** Bindings being kept alive now. */
  get tracked(): number {
    return this.states.size;
  }

  /** One round: follow the local NAT'd UDP bindings, ping the ones due (bounded). */
  tick(now = Date.now()): void {
    const bindings = new Map<string, BindingRecord>();
    for (const b of this.deps.location.localBindings(now)) {
      if (b.behindNat && parseSourceKey(b.source)?.transport === 'udp') bindings.set(keyOf(b), b);
    }
    for (const key of this.states.keys()) {
      if (bindings.has(key)) continue;
      this.states.delete(key);
      this.pending.get(key)?.terminate();
      this.pending.delete(key);
    }
    for (const [key, b] of bindings) {
      const s = this.states.get(key);
      if (!s) this.states.set(key, firstPing(key, b.updatedAt, now, this.intervalMs));
      // A re-REGISTER proves the phone is there: its losses are forgiven.
      else if (b.updatedAt > s.seen) this.states.set(key, { ...answered(s), seen: b.updatedAt });
    }
    const cap = pingsPerTick(bindings.size, this.intervalMs, this.tickMs);
    for (const key of duePings(this.states, now, cap)) {
      const b = bindings.get(key)!;
      const s = this.states.get(key)!;
      if (s.pending) {
        // Still unanswered an interval later: lost (its transaction stops retransmitting).
        this.pending.get(key)?.terminate();
        this.pending.delete(key);
        if (this.lose(key, b, s)) continue;
      }
      this.ping(key, b, now);
    }
  }

  private ping(key: string, b: BindingRecord, now: number): void {
    const dest = bindingDestination(b);
    if (!dest) return;
    const s = this.states.get(key)!;
    this.states.set(key, sent(s, now, this.intervalMs));
    const ct = this.deps.request(this.options(b, dest.address), dest, {
      onResponse: (_res, t) => {
        if (this.pending.get(key) !== t) return;
        this.pending.delete(key);
        const cur = this.states.get(key);
        if (cur) this.states.set(key, answered(cur));
        this.stats.answered++;
      },
      onTimeout: (t) => {
        if (this.pending.get(key) !== t) return;
        this.pending.delete(key);
        const cur = this.states.get(key);
        if (cur) this.lose(key, b, cur);
      },
    });
    if (!ct) return;
    this.stats.sent++;
    this.pending.set(key, ct);
  }

  /** Counts a loss; returns true when the binding was removed for it. */
  private lose(key: string, b: BindingRecord, s: PingState): boolean {
    this.stats.lost++;
    const { state, drop } = lost(s, this.deps.maxFailures);
    this.states.set(key, state);
    if (!drop) return false;
    this.states.delete(key);
    // Through the normal local path: store, DNS, the other workers and the peers follow.
    const cur = this.deps.location.bindings(b.aor).find((x) => x.contact === b.contact);
    if (cur) this.deps.location.applyLocal([{ kind: 'remove', aor: b.aor, contact: b.contact, version: Math.max(cur.version + 1, Date.now()) }]);
    this.stats.removed++;
    this.deps.log('sip.nat.unreachable', `${b.aor} at ${b.source} answered none of ${state.failures} NAT keep-alive pings: binding removed`, {
      aor: b.aor, contact: b.contact, source: b.source,
    });
    return true;
  }

  /** An OPTIONS to the binding's Contact (RFC 3261 §11), Via this worker's own port. */
  private options(b: BindingRecord, address: string): SipRequest {
    const id = this.deps.identity(address);
    const seq = this.cseq++;
    const host = uriHost(id.advertise);
    return {
      method: 'OPTIONS', uri: b.contact, version: '2.0',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host, port: id.viaPort, params: { branch: `z9hG4bK-np${this.callIdBase}${seq.toString(36)}` } }],
        'max-forwards': '70',
        to: { uri: b.aor, params: {} },
        from: { uri: `sip:keepalive@${id.domain}`, params: { tag: `np${this.callIdBase}` } },
        'call-id': `np-${this.callIdBase}-${seq.toString(36)}@${host}`,
        cseq: { seq, method: 'OPTIONS' },
        'user-agent': SERVER_NAME,
        'content-length': 0,
      },
      content: '',
    } as SipRequest;
  }
}

function keyOf(b: BindingRecord): string {
  return `${b.aor}|${b.contact}`;
}
