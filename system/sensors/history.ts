/**
 * Bounded ring buffer for the operating-state history (policy input, web UI charts).
 * Pushing onto a full buffer drops the oldest entry. O(1) push, no allocation per push.
 */
export class History<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  /** Index the next push writes to. */
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`History capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items[this.#head] = item;
    this.#head = (this.#head + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The newest `n` entries (all when n >= size), oldest first. */
  latest(n: number): T[] {
    const count = Math.max(0, Math.min(Math.floor(n), this.#size));
    const out = new Array<T>(count);
    let idx = (this.#head - count + this.capacity) % this.capacity;
    for (let i = 0; i < count; i++) {
      out[i] = this.#items[idx] as T;
      idx = (idx + 1) % this.capacity;
    }
    return out;
  }

  /** All entries, oldest first. */
  toArray(): T[] {
    return this.latest(this.#size);
  }

  /** The newest entry, or undefined when empty. */
  last(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#head - 1 + this.capacity) % this.capacity];
  }

  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
