import type { PeerConfig } from '../../system/config/index.ts';
import { peerHeaders } from './peer-auth.ts';
import type { PeerSummary } from './peer-protocol.ts';

/** Heartbeats missed before a peer counts as down. */
export const MISSED_HEARTBEATS_DOWN = 3;
/** How long one peer request may take. */
const REQUEST_TIMEOUT_MS = 2000;

/** Link state of one peer appliance. */
export type LinkState = 'unknown' | 'up' | 'down';

/**
 * One peer appliance: signed requests to its API, and its up/down state from heartbeats
 * (down after MISSED_HEARTBEATS_DOWN failures in a row; up again on the first success).
 */
export class PeerLink {
  state: LinkState = 'unknown';
  lastHeartbeatAt: number | null = null;
  lastSummary: PeerSummary | null = null;
  private misses = 0;

  /** @param clock the wall clock our requests are signed with (ControlOptions.peerClock). */
  constructor(readonly config: PeerConfig, private readonly selfName: string, private readonly clock: () => number = Date.now) {}

  get name(): string {
    return this.config.name;
  }

  /** POSTs a signed JSON body; resolves with the JSON answer or throws. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const text = JSON.stringify(body);
    const res = await fetch(new URL(path, this.config.url), {
      method: 'POST',
      headers: peerHeaders(this.selfName, this.config.secret, 'POST', path, text, this.clock()),
      body: text,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      // FIXME: peers pin nothing yet. A peer's https listener usually has the self-signed
      // certificate it generated, so it is not verified; our requests are HMAC-signed with
      // replay protection, but the peer's answers are not authenticated (pin its fingerprint).
      ...(this.config.url.startsWith('https:') ? { tls: { rejectUnauthorized: false } } : {}),
    });
    if (!res.ok) throw new Error(`${this.name}: ${path} answered ${res.status} ${await res.text().catch(() => '')}`);
    return (await res.json()) as T;
  }

  /** Records a heartbeat's outcome; returns the transition, if the state changed. */
  heartbeat(ok: boolean, summary: PeerSummary | null, now = Date.now()): { from: LinkState; to: LinkState } | undefined {
    const from = this.state;
    if (ok) {
      this.misses = 0;
      this.lastHeartbeatAt = now;
      this.lastSummary = summary;
      this.state = 'up';
    } else {
      this.misses++;
      if (this.misses >= MISSED_HEARTBEATS_DOWN || this.state === 'unknown') this.state = this.misses >= MISSED_HEARTBEATS_DOWN ? 'down' : this.state;
    }
    return from !== this.state ? { from, to: this.state } : undefined;
  }
}
