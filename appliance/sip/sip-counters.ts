/**
 * Counters of one connection control section's SIP traffic, read by the control section
 * to build the operating state (requests by method, replies by class, drops).
 */
export class SipCounters {
  readonly requests: Record<string, number> = {};
  readonly replies: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx', number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  dropped = 0;
  /** Messages from banned or rate-limited sources, not processed. */
  banned = 0;
  malformed = 0;

  request(method: string): void {
    const key = method.length <= 12 ? method : 'other';
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }

  reply(status: number): void {
    const cls = `${Math.min(6, Math.max(1, Math.floor(status / 100)))}xx` as keyof SipCounters['replies'];
    this.replies[cls]++;
  }

  snapshot() {
    return { requests: { ...this.requests }, replies: { ...this.replies }, dropped: this.dropped, malformed: this.malformed };
  }
}
