/**
 * Replay protection for digest credentials (RFC 2617 §3.2.2 nonce-count, RFC 7616 §3.4): each
 * (nonce, nc) pair is accepted once; without qop (no nc) a nonce is single-use. Kept in memory
 * per connection control section: a phone's flow (one address:port) stays on one worker under
 * the kernel's reuseport hash, and nonces are bound to the client's address (digest.ts), so a
 * replay from elsewhere fails before it gets here. Bounded: entries last a nonce's lifetime and
 * at most `maxNonces` nonces are tracked (the oldest go first).
 */
export class NonceCounts {
  private readonly seen = new Map<string, { readonly expires: number; readonly counts: Set<number> }>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly maxNonces = 100_000,
    /** Distinct nc values remembered per nonce; beyond it only higher counts pass. */
    private readonly perNonce = 256,
  ) {}

  /** Records a use of `nonce` with count `nc` (0 without qop); false when it was used already. */
  use(nonce: string, nc: number, now = Date.now()): boolean {
    let entry = this.seen.get(nonce);
    if (entry && entry.expires <= now) {
      this.seen.delete(nonce);
      entry = undefined;
    }
    if (!entry) {
      if (this.seen.size >= this.maxNonces) this.evict(now);
      this.seen.set(nonce, { expires: now + this.lifetimeMs, counts: new Set([nc]) });
      return true;
    }
    if (nc === 0 || entry.counts.has(nc)) return false;
    if (entry.counts.size >= this.perNonce) {
      const highest = Math.max(...entry.counts);
      if (nc <= highest) return false;
      entry.counts.delete(Math.min(...entry.counts));
    }
    entry.counts.add(nc);
    return true;
  }

  /** Nonces currently tracked. */
  get size(): number {
    return this.seen.size;
  }

  private evict(now: number): void {
    for (const [k, v] of this.seen) if (v.expires <= now) this.seen.delete(k);
    // Still full: drop the oldest tenth (Map keeps insertion order).
    let drop = this.seen.size >= this.maxNonces ? Math.ceil(this.maxNonces / 10) : 0;
    for (const k of this.seen.keys()) {
      if (drop-- <= 0) break;
      this.seen.delete(k);
    }
  }
}
