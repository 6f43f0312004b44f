import { createHmac, hash, randomBytes } from 'node:crypto';
import { algorithmMask, maskAlgorithms } from './digest-offer.ts';

/**
 * HTTP Digest for SIP (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760 for SHA-256), server side.
 *
 * The `sip` package's digest.js only knows MD5 and keeps per-dialog contexts; a registrar
 * serving many phones needs SHA-256 too and stateless nonces, so this module replaces it
 * on the server side (the `sip` parser still reads the Authorization headers).
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** H(data) in lower-case hex for the algorithm (one-shot `hash`: no Hash object per call, issue 16). */
export function digestHash(alg: DigestAlgorithm, data: string): string {
  return hash(HASH[alg], data, 'hex');
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

/**
 * Constant-time comparison of two hex strings, case-insensitively: every character is looked
 * at whatever differs (only the length may end it early, as with timingSafeEqual), without
 * the two Buffers a timingSafeEqual call needs (issue 16).
 */
export function sameDigest(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

/** Outcome of checking a nonce we issued. */
export type NonceCheck = 'fresh' | 'stale' | 'invalid';

/**
 * Stateless nonces bound to the client's address and to the algorithms offered with them:
 * `<issued seconds, hex>.<salt, 8 hex>.<offered, 1 hex>.<HMAC(secret, issued:salt:offered:realm:address), 24 hex>`.
 * Any worker holding the same secret can verify them, so a challenge answered to another
 * worker works; a captured Authorization header re-sent from another host does not (issue 10);
 * an answer in an algorithm that was not offered with the nonce is refused (RFC 8760 §2.4,
 * issue 11). The salt makes each nonce unique, so nonce-count tracking (nonce-counts.ts) can
 * key on it.
 */
export class NonceIssuer {
  private readonly salts = new SaltPool();

  constructor(
    private readonly secret: string,
    private readonly realm: string,
    private readonly lifetimeSeconds: number,
  ) {}

  issue(address: string, nowMs = Date.now(), offered: readonly DigestAlgorithm[] = ['MD5', 'SHA-256']): string {
    const ts = Math.floor(nowMs / 1000).toString(16);
    const salt = this.salts.next();
    const mask = algorithmMask(offered);
    return `${ts}.${salt}.${mask}.${this.mac(ts, salt, mask, address)}`;
  }

  check(nonce: string, address: string, nowMs = Date.now()): NonceCheck {
    const m = NONCE.exec(nonce);
    if (!m || !sameDigest(m[4], this.mac(m[1], m[2], m[3], address))) return 'invalid';
    const age = nowMs / 1000 - parseInt(m[1], 16);
    if (age < -5) return 'invalid';
    return age > this.lifetimeSeconds ? 'stale' : 'fresh';
  }

  /** The algorithms offered with a nonce (read from it; trust only after `check`). */
  offered(nonce: string): DigestAlgorithm[] {
    const m = NONCE.exec(nonce);
    return m ? maskAlgorithms(m[3]) : [];
  }

  /** Seconds a nonce stays fresh. */
  get lifetime(): number {
    return this.lifetimeSeconds;
  }

  private mac(ts: string, salt: string, mask: string, address: string): string {
    // createHmac, not Bun.CryptoHasher (half the CPU in a loop): the hasher's native objects are
    // freed only by the garbage collector and stalled the event loop ~100 ms under load when the
    // dialog tokens used them (lingering-memory.test.ts shed calls), see dialog-token.ts.
    return createHmac('sha256', this.secret).update(`${ts}:${salt}:${mask}:${this.realm}:${address}`).digest('hex').slice(0, 24);
  }
}

/**
 * Random 4-byte salts (8 hex) cut from one 4 KiB `randomBytes` draw at a time: the same CSPRNG
 * bytes as a `randomBytes(4)` per nonce, at a fraction of the call's cost (issue 16).
 */
class SaltPool {
  private pool = Buffer.alloc(0);
  private at = 0;

  next(): string {
    if (this.at + 4 > this.pool.length) {
      this.pool = randomBytes(4096);
      this.at = 0;
    }
    const salt = this.pool.toString('hex', this.at, this.at + 4);
    this.at += 4;
    return salt;
  }
}

const NONCE = /^([0-9a-f]{1,12})\.([0-9a-f]{8})\.([0-3])\.([0-9a-f]{24})$/;
