import { isIP } from 'node:net';

/**
 * Slows and then locks password guessing, per source. Each source may fail `freeFailures`
 * times; every further failure locks that source out for a doubling time (30 s, 60 s, ... up
 * to 15 min). Success clears the source. There is no global lock: failures from many
 * addresses never lock the admin out from another one (issue 10, finding 11).
 *
 * A source is one IPv4 address, or one IPv6 /64 (a single host usually holds a whole /64, so
 * per-address counting would give an IPv6 attacker 2^64 fresh sources).
 *
 * The table is bounded (`maxSources`): when full, sources whose lock has run out go first,
 * then the least recently failing. An attacker spraying sources can so make us forget old
 * locks, but never grow memory; each fresh source still gets only `freeFailures` guesses.
 */
export interface LoginLimits {
  readonly freeFailures: number;
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  /** Most sources remembered at once. */
  readonly maxSources: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000, maxSources: 10_000 };

interface SourceState { failures: number; lockedUntil: number; lastFailure: number }

export class LoginLimiter {
  /** Map order is recency order: a failure moves its source to the end. */
  private readonly sources = new Map<string, SourceState>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Milliseconds this client must still wait before trying again (0 = may try now). */
  waitMs(client: string, now = Date.now()): number {
    return Math.max(0, (this.sources.get(sourceKey(client))?.lockedUntil ?? 0) - now);
  }

  failed(client: string, now = Date.now()): void {
    const key = sourceKey(client);
    const s = this.sources.get(key) ?? { failures: 0, lockedUntil: 0, lastFailure: 0 };
    // A source quiet for longer than the longest lock starts afresh.
    if (now - s.lastFailure > this.limits.maxLockMs) s.failures = 0;
    s.failures += 1;
    s.lastFailure = now;
    const over = s.failures - this.limits.freeFailures;
    if (over >= 0) s.lockedUntil = now + Math.min(this.limits.maxLockMs, this.limits.baseLockMs * 2 ** over);
    this.sources.delete(key);
    this.sources.set(key, s);
    if (this.sources.size > this.limits.maxSources) this.evict(now);
  }

  succeeded(client: string): void {
    this.sources.delete(sourceKey(client));
  }

  /** Sources remembered now (for tests and the bound). */
  get size(): number {
    return this.sources.size;
  }

  private evict(now: number): void {
    for (const [k, s] of this.sources) {
      if (this.sources.size <= this.limits.maxSources) return;
      if (s.lockedUntil <= now) this.sources.delete(k);
    }
    for (const k of this.sources.keys()) {
      if (this.sources.size <= this.limits.maxSources) return;
      this.sources.delete(k);
    }
  }
}

/** The unit a lock applies to: an IPv4 address (also IPv4-mapped IPv6), or an IPv6 /64. */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
