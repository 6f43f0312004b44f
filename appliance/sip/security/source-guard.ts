import type { EventKind } from '../../../system/log/event-kinds.ts';
import type { Source } from '../message/types.ts';
import type { AbuseReporting } from '../pipeline/services.ts';
/**
 * Built-in pike + fail2ban (issue 10): per-source request-rate limit and failed-login counting,
 * both leading to a ban during which nothing from that address is processed. The address is
 * the packet's source (never a header). Checked first on the receive path, so a banned flood
 * costs a Map lookup per datagram. Bounded: at most `maxTracked` addresses are counted.
 */

/** One ban: what the event log, the web UI and the CLI show. */
export interface Ban {
  readonly address: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly since: number;
  readonly until: number;
}

/** The `[security]` thresholds, in milliseconds. */
export interface GuardSettings {
  readonly banAfterFailures: number;
  readonly failureWindowMs: number;
  /** Requests per `rateWindowMs` from one address; 0: no rate limit. */
  readonly rateLimit: number;
  readonly rateWindowMs: number;
  readonly banMs: number;
}

interface Counter {
  windowStart: number;
  requests: number;
  failures: number[];
}

export class SourceGuard {
  private readonly bans = new Map<string, Ban>();
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly settings: GuardSettings,
    /** Addresses never counted nor banned (trusted gateways, peers, ourselves). */
    private readonly exempt: (address: string) => boolean,
    /** Called once for each ban decided here (to store, spread and log it). */
    private readonly onBan: (ban: Ban) => void = () => {},
    private readonly maxTracked = 50_000,
  ) {}

  /** The receive-path check for every message: false when the source is banned. */
  admit(address: string, now = Date.now()): boolean {
    return this.bans.size === 0 || !this.isBanned(address, now);
  }

  /**
   * Counts one request (pike counts requests, not the responses a busy phone sends back);
   * false when the source is banned or has just exceeded the rate.
   */
  admitRequest(address: string, now = Date.now()): boolean {
    if (!this.admit(address, now)) return false;
    const limit = this.settings.rateLimit;
    if (limit === 0) return true;
    const c = this.counter(address, now);
    if (c === undefined) return true;
    if (now - c.windowStart >= this.settings.rateWindowMs) {
      c.windowStart = now;
      c.requests = 0;
    }
    if (++c.requests <= limit) return true;
    this.ban(address, `more than ${limit} requests in ${this.settings.rateWindowMs / 1000} s`, now);
    return false;
  }

  /** A failed digest login (wrong password, unknown user) or a forged request from `address`. */
  failed(address: string, now = Date.now()): void {
    const c = this.counter(address, now);
    if (c === undefined) return;
    const from = now - this.settings.failureWindowMs;
    c.failures = c.failures.filter((t) => t > from);
    c.failures.push(now);
    if (c.failures.length >= this.settings.banAfterFailures) {
      this.ban(address, `${c.failures.length} failed logins or forged requests in ${this.settings.failureWindowMs / 1000} s`, now);
    }
  }

  isBanned(address: string, now = Date.now()): boolean {
    const b = this.bans.get(address);
    if (!b) return false;
    if (b.until > now) return true;
    this.bans.delete(address);
    return false;
  }

  /** Bans an address decided here; `onBan` is told. */
  ban(address: string, reason: string, now = Date.now()): Ban {
    const ban: Ban = { address, reason, since: now, until: now + this.settings.banMs };
    this.apply(ban);
    this.onBan(ban);
    return ban;
  }

  /** Applies a ban decided elsewhere (another worker, the store at start). */
  apply(ban: Ban): void {
    if (this.exempt(ban.address)) return;
    this.bans.set(ban.address, ban);
    this.counters.delete(ban.address);
  }

  /** Makes the bans those of the store (after the admin lifted one in the web UI or CLI). */
  sync(bans: readonly Ban[]): void {
    this.bans.clear();
    for (const b of bans) this.apply(b);
  }

  /** Lifts a ban (the admin, in the web UI or CLI); true when there was one. */
  lift(address: string): boolean {
    this.counters.delete(address);
    return this.bans.delete(address);
  }

  /** Bans in force. */
  list(now = Date.now()): Ban[] {
    return [...this.bans.values()].filter((b) => b.until > now);
  }

  private counter(address: string, now: number): Counter | undefined {
    let c = this.counters.get(address);
    if (c) return c;
    if (this.exempt(address)) return undefined;
    if (this.counters.size >= this.maxTracked) this.prune(now);
    c = { windowStart: now, requests: 0, failures: [] };
    this.counters.set(address, c);
    return c;
  }

  /** Forgets quiet addresses; if all are busy, the oldest tenth (insertion order). */
  private prune(now: number): void {
    const quiet = now - Math.max(this.settings.rateWindowMs, this.settings.failureWindowMs);
    for (const [a, c] of this.counters) {
      if (c.windowStart < quiet && c.failures.every((t) => t < quiet)) this.counters.delete(a);
    }
    let drop = this.counters.size >= this.maxTracked ? Math.ceil(this.maxTracked / 10) : 0;
    for (const a of this.counters.keys()) {
      if (drop-- <= 0) break;
      this.counters.delete(a);
    }
  }
}

/**
 * The stages' side of the guard (pipeline/services.ts `AbuseReporting`): a failed login or a
 * forged request is written to the event log and counted towards a ban.
 */
export function abusePart(guard: SourceGuard, log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void): AbuseReporting {
  return {
    guard: {
      failed: (source: Source, what: string, user?: string): void => {
        log('sip.auth.failed', `${what} from ${source.address}${user ? ` (extension ${user})` : ''}`, { address: source.address, user });
        guard.failed(source.address);
      },
    },
  };
}
