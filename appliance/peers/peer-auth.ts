import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Authentication of the peer API: every request carries the sender's name, a timestamp, a
 * random nonce and HMAC-SHA256(secret, method \n path \n timestamp \n nonce \n SHA-256(body)).
 * Stale timestamps (beyond the allowed skew) and replays (a signature seen within the window)
 * are refused. The nonce makes two honest requests with the same body in the same second (a
 * hand-off asked again at once) two signatures; a request without one (an appliance of an
 * earlier version, during an upgrade of the group) is signed without it and still checked for replay.
 */
export const PEER_NAME = 'x-peer-name';
export const PEER_TIMESTAMP = 'x-peer-timestamp';
export const PEER_SIGNATURE = 'x-peer-signature';
export const PEER_NONCE = 'x-peer-nonce';
/** Clock skew accepted between two appliances, seconds. */
export const MAX_SKEW_SECONDS = 30;

/** The signature for one request. */
export function signPeerRequest(secret: string, method: string, path: string, body: string, timestamp: number, nonce = ''): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const signed = nonce ? `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodyHash}` : `${method.toUpperCase()}\n${path}\n${timestamp}\n${bodyHash}`;
  return createHmac('sha256', secret).update(signed).digest('hex');
}

/** Headers for a signed request from `name`. */
export function peerHeaders(name: string, secret: string, method: string, path: string, body: string, now = Date.now()): Record<string, string> {
  const ts = Math.floor(now / 1000);
  const nonce = randomBytes(12).toString('hex');
  return {
    [PEER_NAME]: name,
    [PEER_TIMESTAMP]: String(ts),
    [PEER_NONCE]: nonce,
    [PEER_SIGNATURE]: signPeerRequest(secret, method, path, body, ts, nonce),
    'content-type': 'application/json',
  };
}

export type PeerAuthResult = { readonly ok: true; readonly peer: string } | { readonly ok: false; readonly reason: string };

/** Verifies signed peer requests; remembers signatures for the skew window to refuse replays. */
export class PeerVerifier {
  private readonly seen = new Map<string, number>();

  constructor(private readonly secrets: ReadonlyMap<string, string>) {}

  verify(method: string, path: string, body: string, headers: Headers, now = Date.now()): PeerAuthResult {
    const name = headers.get(PEER_NAME) ?? '';
    const secret = this.secrets.get(name);
    if (!secret) return { ok: false, reason: 'unknown peer' };
    const tsText = headers.get(PEER_TIMESTAMP) ?? '';
    const sig = headers.get(PEER_SIGNATURE) ?? '';
    const nonce = headers.get(PEER_NONCE) ?? '';
    if (!/^\d{1,12}$/.test(tsText) || !/^[0-9a-f]{64}$/.test(sig) || !/^[0-9a-f]{0,64}$/.test(nonce)) return { ok: false, reason: 'missing or malformed signature' };
    const ts = Number(tsText);
    if (Math.abs(now / 1000 - ts) > MAX_SKEW_SECONDS) return { ok: false, reason: 'stale timestamp' };
    const expected = signPeerRequest(secret, method, path, body, ts, nonce);
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(sig))) return { ok: false, reason: 'bad signature' };
    this.forgetOld(now);
    if (this.seen.has(sig)) return { ok: false, reason: 'replayed request' };
    this.seen.set(sig, ts);
    return { ok: true, peer: name };
  }

  private forgetOld(now: number): void {
    const limit = now / 1000 - 2 * MAX_SKEW_SECONDS;
    for (const [sig, ts] of this.seen) {
      if (ts >= limit) break; // insertion order is time order
      this.seen.delete(sig);
    }
  }
}

/**
 * Rate-limited logging of refused (unauthenticated) requests: each source and kind may write
 * `perWindow` event rows per `windowMs`, and all sources together `totalPerWindow`; the rest
 * are counted and the count goes into the next row written for that source (`suppressed`).
 * The table is bounded: when it is full, the oldest entry goes. So a stream of junk, from one
 * address or sprayed over many, costs a few rows a minute, not one row a request.
 */
export class RefusalLogLimiter {
  private readonly entries = new Map<string, { windowStart: number; written: number; suppressed: number }>();
  private totalWindowStart = -Infinity;
  private totalWritten = 0;

  constructor(
    private readonly perWindow = 3,
    private readonly windowMs = 60_000,
    private readonly maxEntries = 4096,
    private readonly totalPerWindow = 30,
  ) {}

  /** Whether to write this refusal now, and how many were left out since the last one written. */
  admit(source: string, kind: string, now = Date.now()): { log: boolean; suppressed: number } {
    const key = `${kind}\u0000${source}`;
    let e = this.entries.get(key);
    if (!e || now - e.windowStart >= this.windowMs) {
      const suppressed = e?.suppressed ?? 0;
      this.entries.delete(key);
      e = { windowStart: now, written: 0, suppressed };
      this.entries.set(key, e);
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    if (now - this.totalWindowStart >= this.windowMs) {
      this.totalWindowStart = now;
      this.totalWritten = 0;
    }
    if (e.written >= this.perWindow || this.totalWritten >= this.totalPerWindow) {
      e.suppressed++;
      return { log: false, suppressed: 0 };
    }
    e.written++;
    this.totalWritten++;
    const suppressed = e.suppressed;
    e.suppressed = 0;
    return { log: true, suppressed };
  }
}
