/**
 * When to send OPTIONS keep-alive pings to bindings behind NAT, and what an answer or a loss
 * means: pure functions over a small state per binding (the edge is nat-pinger.ts).
 */

/** Ping state of one binding. */
export interface PingState {
  /** When the next ping is due (epoch ms). */
  readonly nextAt: number;
  /** Pings in a row that got no answer. */
  readonly failures: number;
  /** A ping is out and not answered yet. */
  readonly pending: boolean;
  /** The binding's `updatedAt` when last seen: a newer one is a re-REGISTER, which proves the phone alive. */
  readonly seen: number;
}

/** Pings one worker sends in one tick at most, whatever the number of bindings (bounded work). */
export const MAX_PINGS_PER_TICK = 250;

/**
 * The first ping of a binding: somewhere in the first interval, by a hash of its key, so the
 * pings of phones that registered together (after a power cut) are spread over the interval.
 */
export function firstPing(key: string, updatedAt: number, now: number, intervalMs: number): PingState {
  return { nextAt: now + (fnv1a(key) % Math.max(1, intervalMs)), failures: 0, pending: false, seen: updatedAt };
}

/**
 * Pings per tick: twice the even share of `count` bindings over the interval (so a backlog
 * drains), at least 1, at most MAX_PINGS_PER_TICK.
 */
export function pingsPerTick(count: number, intervalMs: number, tickMs: number): number {
  return Math.max(1, Math.min(MAX_PINGS_PER_TICK, Math.ceil((2 * count * tickMs) / Math.max(1, intervalMs))));
}

/** The keys due now, most overdue first, at most `cap` of them. */
export function duePings(states: Iterable<readonly [string, PingState]>, now: number, cap: number): string[] {
  const due: [string, number][] = [];
  for (const [key, s] of states) if (s.nextAt <= now) due.push([key, s.nextAt]);
  due.sort((a, b) => a[1] - b[1]);
  return due.slice(0, cap).map(([key]) => key);
}

/** A ping goes out now; the next one is due an interval later. */
export function sent(s: PingState, now: number, intervalMs: number): PingState {
  return { ...s, pending: true, nextAt: now + intervalMs };
}

/**
 * An answer came, of any status (a 404, 405 or 501 to OPTIONS still proves the phone is there
 * and its pinhole open), or the phone registered again.
 */
export function answered(s: PingState): PingState {
  return { ...s, pending: false, failures: 0 };
}

/**
 * A ping is lost (its transaction timed out, or it was still unanswered when the next one was
 * due). `drop`: this many losses in a row (`maxFailures`, 0: never) remove the binding.
 */
export function lost(s: PingState, maxFailures: number): { state: PingState; drop: boolean } {
  const failures = s.failures + 1;
  return { state: { ...s, pending: false, failures }, drop: maxFailures > 0 && failures >= maxFailures };
}

/** 32-bit FNV-1a: a cheap, stable spread of keys (not security relevant). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
