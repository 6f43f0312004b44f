/**
 * Back-off for replacing crashed connection control sections: 0.5 s, 1 s, 2 s ... up to 30 s
 * while crashes follow each other; after a quiet minute the next crash starts over at 0.5 s.
 */
export class RespawnBackoff {
  private failures = 0;
  private lastFailure = 0;

  constructor(private readonly baseMs = 500, private readonly maxMs = 30_000, private readonly quietMs = 60_000) {}

  /** Delay before the next respawn, given a crash at `now`. */
  next(now: number): number {
    if (now - this.lastFailure > this.quietMs) this.failures = 0;
    this.lastFailure = now;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }
}
