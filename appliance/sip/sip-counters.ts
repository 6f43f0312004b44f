import { CALL_SETUP_BUCKETS, Histogram } from '../metrics/histogram.ts';

/** Reply classes, in the order of the per-method response arrays. */
export const REPLY_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;
export type ReplyClass = (typeof REPLY_CLASSES)[number];

/**
 * Methods counted by name (RFC 3261 §7.1 and the extensions the appliance meets: RFC 3262
 * PRACK, 3311 UPDATE, 6665 SUBSCRIBE/NOTIFY, 3515 REFER, 3428 MESSAGE, 3903 PUBLISH, 6086
 * INFO); any other token counts as "other", so a stranger inventing methods cannot grow the
 * counters (nor the metrics' label sets).
 */
export const COUNTED_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH', 'INFO',
]);

/**
 * Counters of one connection control section's SIP traffic since it started, read by the
 * control section to build the operating state and the metrics (requests by method, replies by
 * method and class, drops, call setup time). Counting is an increment on a fixed key: nothing
 * is allocated per message (a method's reply array is made on its first reply).
 */
export class SipCounters {
  readonly requests: Record<string, number> = {};
  readonly replies: Record<ReplyClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  /** Replies we sent (our own and relayed) by the request's method, one count per class (REPLY_CLASSES order). */
  readonly repliesByMethod: Record<string, number[]> = {};
  /** INVITE received → first 2xx sent upstream, seconds. */
  readonly callSetup = new Histogram(CALL_SETUP_BUCKETS);
  dropped = 0;
  /** Messages from banned or rate-limited sources, not processed. */
  banned = 0;
  malformed = 0;

  request(method: string): void {
    const key = COUNTED_METHODS.has(method) ? method : 'other';
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }

  /** A reply sent upstream for a request of `method` (undefined: not known, counted as "other"). */
  reply(status: number, method?: string): void {
    const i = Math.min(5, Math.max(0, Math.floor(status / 100) - 1));
    this.replies[REPLY_CLASSES[i]]++;
    const key = method !== undefined && COUNTED_METHODS.has(method) ? method : 'other';
    (this.repliesByMethod[key] ??= [0, 0, 0, 0, 0, 0])[i]++;
  }

  snapshot() {
    return { requests: { ...this.requests }, replies: { ...this.replies }, dropped: this.dropped, malformed: this.malformed };
  }
}
