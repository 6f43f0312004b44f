import type { ExtensionRecord } from '../../../system/store/index.ts';
import type { SipRequest } from '../message/types.ts';
import { expectedResponse, sameDigest, type DigestAlgorithm, type DigestCredentials, type NonceIssuer } from './digest.ts';

/** Result of checking a request's credentials (RFC 3261 §22.3, §22.4). */
export type AuthOutcome =
  | { readonly kind: 'ok'; readonly user: string }
  | { readonly kind: 'challenge'; readonly stale: boolean }
  | { readonly kind: 'forbidden'; readonly reason: string };

/**
 * Digest authentication of requests against the extensions' stored HA1 hashes.
 * `proxy` selects Proxy-Authorization / 407 (other requests) or Authorization / 401 (REGISTER).
 */
export class Authenticator {
  constructor(
    private readonly nonces: NonceIssuer,
    readonly realm: string,
    private readonly lookup: (user: string) => ExtensionRecord | undefined,
    /** Algorithms offered in challenges, most preferred first (RFC 8760 §2.4). */
    private readonly offered: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'],
  ) {}

  check(req: SipRequest, proxy: boolean, now = Date.now()): AuthOutcome {
    const list = req.headers[proxy ? 'proxy-authorization' : 'authorization'] as Record<string, string>[] | undefined;
    const mine = (list ?? []).find((a) => a.scheme?.toLowerCase() === 'digest' && unq(a.realm) === this.realm);
    if (!mine) return { kind: 'challenge', stale: false };
    const creds = readCredentials(mine);
    if (!creds) return { kind: 'forbidden', reason: 'Malformed credentials' };
    const nonce = this.nonces.check(creds.nonce, now);
    if (nonce === 'invalid') return { kind: 'challenge', stale: false };
    const ext = this.lookup(creds.username);
    // Same answer for an unknown user and a wrong password: do not reveal which extensions exist.
    if (!ext || ext.realm !== this.realm) return { kind: 'forbidden', reason: 'Wrong credentials' };
    const ha1 = creds.algorithm === 'SHA-256' ? ext.ha1Sha256 : ext.ha1Md5;
    if (!sameDigest(expectedResponse(ha1, req.method, creds), creds.response)) {
      return { kind: 'forbidden', reason: 'Wrong credentials' };
    }
    // A right answer to an old nonce: ask again with stale=true so the phone retries silently (§22.4).
    if (nonce === 'stale') return { kind: 'challenge', stale: true };
    return { kind: 'ok', user: creds.username };
  }

  /** Challenge header values, one per offered algorithm, in the `sip` package's shape. */
  challenge(stale: boolean, now = Date.now()): Record<string, string>[] {
    const nonce = this.nonces.issue(now);
    return this.offered.map((algorithm) => ({
      scheme: 'Digest',
      realm: `"${this.realm}"`,
      nonce: `"${nonce}"`,
      algorithm,
      qop: '"auth"',
      ...(stale ? { stale: 'true' } : {}),
    }));
  }

  /** Removes the credentials for our realm before forwarding (RFC 3261 §22.3: they were for us). */
  consume(req: SipRequest): void {
    const list = req.headers['proxy-authorization'] as Record<string, string>[] | undefined;
    if (!list) return;
    const rest = list.filter((a) => unq(a.realm) !== this.realm);
    if (rest.length > 0) req.headers['proxy-authorization'] = rest;
    else delete req.headers['proxy-authorization'];
  }
}

function readCredentials(a: Record<string, string>): DigestCredentials | undefined {
  const alg = (unq(a.algorithm) ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'SHA-256') return undefined;
  const username = unq(a.username);
  const nonce = unq(a.nonce);
  const uri = unq(a.uri);
  const response = unq(a.response);
  if (!username || !nonce || !uri || !response) return undefined;
  const qop = unq(a.qop);
  if (qop !== undefined && qop !== 'auth') return undefined;
  const nc = unq(a.nc);
  const cnonce = unq(a.cnonce);
  if (qop && (!nc || !cnonce)) return undefined;
  return { username, realm: unq(a.realm)!, nonce, uri, response, algorithm: alg, qop, nc, cnonce };
}

function unq(v: string | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
