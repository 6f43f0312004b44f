import type { DigestAlgorithm } from '../sip/auth/digest.ts';
import { parseSipUri } from '../sip/message/uri.ts';
import { splitCommas } from '../sip/message/via.ts';

/**
 * What a trunk's UA reads from a response to its REGISTER. The decoder parses only what the
 * proxy needs (message/decode.ts), so the challenge, Min-Expires, Retry-After and the granted
 * expiry are read here from the response's own bytes.
 */

/** One digest challenge (RFC 3261 §22.4, RFC 2617 §3.2.1, RFC 8760 §2.3 for SHA-256). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  readonly algorithm: DigestAlgorithm;
  /** "auth" when offered (we never do auth-int: a REGISTER has no body to protect). */
  readonly qop: 'auth' | undefined;
  /** The previous nonce was only stale (RFC 2617 §3.2.1): answering again is right. */
  readonly stale: boolean;
  /** 407 Proxy-Authenticate (answered in Proxy-Authorization) or 401 WWW-Authenticate. */
  readonly proxy: boolean;
}

/** The parts of a REGISTER response the registration state machine decides on. */
export interface RegisterResponse {
  readonly status: number;
  readonly reason: string;
  /** Challenges we can answer, in the order the server listed them (RFC 8760 §2.4: the first we support). */
  readonly challenges: readonly DigestChallenge[];
  /** 423: the server's Min-Expires (RFC 3261 §20.23). */
  readonly minExpires: number | undefined;
  /** 2xx: seconds granted for our Contact (its expires parameter, else Expires; RFC 3261 §10.2.4). */
  readonly granted: number | undefined;
  /** Retry-After seconds (RFC 3261 §20.33), e.g. on 503. */
  readonly retryAfter: number | undefined;
}

/** Header values by lower-case name (compact forms unfolded: m = Contact), lines unfolded. */
export function headerValues(wire: Buffer | string, name: string): string[] {
  const text = typeof wire === 'string' ? wire : wire.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
  const compact: Record<string, string> = { m: 'contact', v: 'via', i: 'call-id', l: 'content-length' };
  const out: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 1) continue;
    const n = line.slice(0, colon).trim().toLowerCase();
    if ((compact[n] ?? n) === name) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

/** auth-param list `k=v, k="v", ...` (RFC 2617 §1.2), quoted values unescaped. */
export function authParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[0].length > 0) {
    params.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  return params;
}

/** Digest challenges of a 401/407 that name an algorithm we know; others are skipped. */
export function parseChallenges(wire: Buffer | string, status: number): DigestChallenge[] {
  const proxy = status === 407;
  const out: DigestChallenge[] = [];
  for (const value of headerValues(wire, proxy ? 'proxy-authenticate' : 'www-authenticate')) {
    const m = /^Digest\s+(.*)$/is.exec(value);
    if (!m) continue;
    const p = authParams(m[1]);
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    // RFC 2617 §3.2.1: no algorithm means MD5. MD5-sess and SHA-256-sess need state we do not keep.
    const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
    if (realm === undefined || !nonce || (alg !== 'MD5' && alg !== 'SHA-256')) continue;
    const qops = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
    // Only auth-int offered: we cannot answer it, skip (RFC 2617 §3.2.2).
    if (p.has('qop') && !qops.includes('auth')) continue;
    out.push({ realm, nonce, opaque: p.get('opaque'), algorithm: alg as DigestAlgorithm, qop: qops.includes('auth') ? 'auth' : undefined, stale: p.get('stale')?.toLowerCase() === 'true', proxy });
  }
  return out;
}

/** Seconds granted to `ourContact` in a 2xx: the matching Contact's expires, else the Expires header. */
export function grantedExpires(wire: Buffer | string, ourContact: string): number | undefined {
  const ours = contactMatchKey(ourContact);
  for (const value of headerValues(wire, 'contact')) {
    for (const entry of splitCommas(value)) {
      const uri = /<([^>]*)>/.exec(entry)?.[1] ?? entry.split(';')[0];
      if (contactMatchKey(uri) !== ours) continue;
      const e = /;\s*expires\s*=\s*(\d+)/i.exec(entry.slice(entry.indexOf('>') + 1));
      if (e) return Number(e[1]);
    }
  }
  const expires = headerValues(wire, 'expires')[0];
  return expires !== undefined && /^\d+$/.test(expires) ? Number(expires) : undefined;
}

/** The response as the state machine sees it. */
export function readRegisterResponse(wire: Buffer | string, status: number, reason: string, ourContact: string): RegisterResponse {
  const num = (name: string) => {
    const v = headerValues(wire, name)[0]?.match(/^(\d{1,9})/)?.[1];
    return v === undefined ? undefined : Number(v);
  };
  return {
    status, reason,
    challenges: status === 401 || status === 407 ? parseChallenges(wire, status) : [],
    minExpires: status === 423 ? num('min-expires') : undefined,
    granted: status >= 200 && status < 300 ? grantedExpires(wire, ourContact) : undefined,
    retryAfter: num('retry-after'),
  };
}

/**
 * Our Contact as the provider echoes it in a 2xx (RFC 3261 §10.2.4), compared loosely
 * (§19.1.4): scheme and host case-insensitive, user and password as written, the port as a
 * number, parameters and headers ignored (providers add or re-case them: `;transport=UDP`,
 * `;ob`). Read with the SIP grammar (message/uri.ts `parseSipUri`); what it refuses compares
 * as its text, trimmed and lower-cased.
 */
export function contactMatchKey(uri: string): string {
  const text = uri.trim();
  const u = parseSipUri(text);
  if (!u) return text.toLowerCase();
  const userinfo = u.user === undefined ? '' : `${u.user}${u.password === undefined ? '' : `:${u.password}`}@`;
  return `${u.schema}:${userinfo}${u.host.toLowerCase()}${u.port === undefined ? '' : `:${u.port}`}`;
}
