/**
 * The timers that end a finished transaction (RFC 3261 §17: Timers D, H, I, J, K; RFC 6026
 * Timers L and M): every proxied call starts four of them, each a fixed delay from now, and
 * they almost always run out. So instead of one runtime timer each (a heap entry and a timer
 * object per transaction for 5-32 s: 4 of the 9 timers of a call, issue 16), the ones of one
 * delay wait in a FIFO queue, in the order they end, behind one runtime timer armed for the
 * first. A transaction that terminates earlier (shutdown) cancels its entry; a queue with no
 * live entry left stops its timer, so nothing keeps the process alive.
 */

/** What a linger timer ends. */
export interface Lingering {
  terminate(): void;
}

/** One transaction's place in a queue; `t` is cleared when it is cancelled or has run. */
export interface LingerTimer {
  t: Lingering | undefined;
  readonly at: number;
  readonly queue: Queue;
}

interface Queue {
  readonly delay: number;
  entries: LingerTimer[];
  /** Index of the first entry not yet run. */
  head: number;
  live: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const queues = new Map<number, Queue>();

/** Ends `t` (its `terminate()`) after `delay` ms, unless cancelled first. */
export function linger(delay: number, t: Lingering): LingerTimer {
  let q = queues.get(delay);
  if (q === undefined) queues.set(delay, (q = { delay, entries: [], head: 0, live: 0, timer: undefined }));
  const entry: LingerTimer = { t, at: performance.now() + delay, queue: q };
  q.entries.push(entry);
  q.live++;
  if (q.timer === undefined) arm(q, delay);
  return entry;
}

/** Cancels a linger timer (undefined and repeated calls do nothing). */
export function cancelLinger(entry: LingerTimer | undefined): void {
  if (entry === undefined || entry.t === undefined) return;
  entry.t = undefined;
  const q = entry.queue;
  if (--q.live === 0) {
    clearTimeout(q.timer);
    q.timer = undefined;
    q.entries = [];
    q.head = 0;
  }
}

function arm(q: Queue, wait: number): void {
  q.timer = setTimeout(run, Math.max(0, wait), q);
}

function run(q: Queue): void {
  q.timer = undefined;
  const now = performance.now();
  while (q.head < q.entries.length && q.entries[q.head]!.at <= now) {
    const entry = q.entries[q.head++]!;
    const t = entry.t;
    if (t === undefined) continue;
    entry.t = undefined;
    q.live--;
    t.terminate();
  }
  // Drop what has run once it is most of the array (amortised O(1) per entry).
  if (q.head > 1024 && q.head * 2 > q.entries.length) {
    q.entries = q.entries.slice(q.head);
    q.head = 0;
  }
  if (q.head < q.entries.length && q.timer === undefined) arm(q, q.entries[q.head]!.at - now);
}
