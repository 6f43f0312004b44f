/**
 * Matches replies to requests sent over the IPC (the control section asks every worker for a
 * report, a call's trace, an AOR's bindings): each request gets a key, its reply settles it,
 * and a request with no reply within the wait settles with the fallback. Written once, used by
 * every request/reply pair of the control section.
 */
export class ReplyCorrelator<T> {
  private readonly waiting = new Map<number, (value: T) => void>();
  private ids = 0;

  constructor(private readonly waitMs: number) {}

  /** A fresh key for a request whose reply echoes it (`id` of `trace-request`, `location-request`). */
  nextKey(): number {
    return ++this.ids;
  }

  /**
   * Sends one request under `key` and resolves with its reply, or with `fallback()` after the
   * wait. A second request under a key still waiting replaces the first (it then times out).
   */
  ask<F>(key: number, send: () => void, fallback: () => F): Promise<T | F> {
    return new Promise<T | F>((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiting.get(key) === settle) this.waiting.delete(key);
        resolve(fallback());
      }, this.waitMs);
      const settle = (value: T) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(value);
      };
      this.waiting.set(key, settle);
      send();
    });
  }

  /** A reply arrived: settles the request waiting under `key` (false: none waits, e.g. a late one). */
  answer(key: number, value: T): boolean {
    const settle = this.waiting.get(key);
    settle?.(value);
    return settle !== undefined;
  }
}
