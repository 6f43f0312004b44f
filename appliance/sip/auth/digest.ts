import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest for SIP (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760 for SHA-256), server side.
 *
 * The `sip` package's digest.js only knows MD5 and keeps per-dialog contexts; a registrar
 * serving many phones needs SHA-256 too and stateless nonces, so this module replaces it
 * on the server side (the `sip` parser still reads the Authorization headers).
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** H(data) in lower-case hex for the algorithm. */
export function digestHash(alg: DigestAlgorithm, data: string): string {
  return createHash(HASH[alg]).update(data).digest('hex');
}

/** HA1 = H(username ":" realm ":" password) (RFC 2617 §3.2.2.2); what the store keeps. */
export function computeHa1(alg: DigestAlgorithm, user: string, realm: string, password: string): string {
  return digestHash(alg, `${user}:${realm}:${password}`);
}

/** The fields of a Digest credentials header this module reads (already unquoted). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop?: string;
  readonly nc?: string;
  readonly cnonce?: string;
}

/** Expected `response` for the credentials (RFC 2617 §3.2.2.1, qop=auth or none). */
export function expectedResponse(ha1: string, method: string, c: DigestCredentials): string {
  const ha2 = digestHash(c.algorithm, `${method}:${c.uri}`);
  const data = c.qop ? `${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}` : `${ha1}:${c.nonce}:${ha2}`;
  return digestHash(c.algorithm, data);
}

/** Constant-time comparison of two hex strings. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Outcome of checking a nonce we issued. */
export type NonceCheck = 'fresh' | 'stale' | 'invalid';

/**
 * Stateless nonces: `<issued seconds, hex>.<HMAC(secret, issued:realm), 24 hex>`. Any worker
 * holding the same secret can verify them, so a challenge answered to another worker works.
 */
export class NonceIssuer {
  constructor(
    private readonly secret: string,
    private readonly realm: string,
    private readonly lifetimeSeconds: number,
  ) {}

  issue(nowMs = Date.now()): string {
    const ts = Math.floor(nowMs / 1000).toString(16);
    return `${ts}.${this.mac(ts)}`;
  }

  check(nonce: string, nowMs = Date.now()): NonceCheck {
    const dot = nonce.indexOf('.');
    if (dot <= 0 || dot > 12) return 'invalid';
    const ts = nonce.slice(0, dot);
    if (!/^[0-9a-f]+$/.test(ts) || !sameDigest(nonce.slice(dot + 1), this.mac(ts))) return 'invalid';
    const age = nowMs / 1000 - parseInt(ts, 16);
    if (age < -5) return 'invalid';
    return age > this.lifetimeSeconds ? 'stale' : 'fresh';
  }

  private mac(ts: string): string {
    return createHmac('sha256', this.secret).update(`${ts}:${this.realm}`).digest('hex').slice(0, 24);
  }
}
