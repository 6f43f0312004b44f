/**
 * Slows and then locks password guessing. Each client (by IP address) may fail `freeFailures`
 * times; after that every further failure locks that client out for a doubling time (30 s,
 * 60 s, ... up to 15 min). A global budget also caps failures from all clients together, so
 * spreading a guess list over many addresses does not get around it. Success clears the client.
 */
export interface LoginLimits {
  readonly freeFailures: number;
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  /** Failures from all clients within `globalWindowMs` that lock every login for `baseLockMs`. */
  readonly globalFailures: number;
  readonly globalWindowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  freeFailures: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000, globalFailures: 100, globalWindowMs: 15 * 60_000,
};

interface ClientState { failures: number; lockedUntil: number; lastFailure: number }

export class LoginLimiter {
  private readonly clients = new Map<string, ClientState>();
  private globalFailures: number[] = [];
  private globalLockedUntil = 0;

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Milliseconds this client must still wait before trying again (0 = may try now). */
  waitMs(client: string, now = Date.now()): number {
    const c = this.clients.get(client);
    return Math.max(0, (c?.lockedUntil ?? 0) - now, this.globalLockedUntil - now);
  }

  failed(client: string, now = Date.now()): void {
    const c = this.clients.get(client) ?? { failures: 0, lockedUntil: 0, lastFailure: 0 };
    // A client quiet for longer than the longest lock starts afresh.
    if (now - c.lastFailure > this.limits.maxLockMs) c.failures = 0;
    c.failures += 1;
    c.lastFailure = now;
    const over = c.failures - this.limits.freeFailures;
    if (over >= 0) c.lockedUntil = now + Math.min(this.limits.maxLockMs, this.limits.baseLockMs * 2 ** over);
    this.clients.set(client, c);

    this.globalFailures = this.globalFailures.filter((t) => now - t < this.limits.globalWindowMs);
    this.globalFailures.push(now);
    if (this.globalFailures.length >= this.limits.globalFailures) this.globalLockedUntil = now + this.limits.baseLockMs;
    if (this.clients.size > 10_000) this.prune(now);
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }

  private prune(now: number): void {
    for (const [k, c] of this.clients) if (now - c.lastFailure > this.limits.maxLockMs) this.clients.delete(k);
  }
}
