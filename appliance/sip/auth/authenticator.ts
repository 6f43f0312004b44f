import type { ExtensionRecord } from '../../../system/store/index.ts';
import type { SipRequest } from '../message/types.ts';
import { parseSipUri, unbracketedIpv6Hosts } from '../message/uri.ts';
import { expectedResponse, sameDigest, type DigestAlgorithm, type DigestCredentials, type NonceIssuer } from './digest.ts';
import { NonceCounts } from './nonce-counts.ts';
import { agentProduct, offeredAlgorithms } from './digest-offer.ts';
import { statusFor } from '../../../system/errors/index.ts';

/** What a phone proved, kept in the store (digest-offer.ts "learnt"). */
export interface DigestLearning {
  /** The phone models (agentProduct) of an extension that answered SHA-256. */
  learnt(number: string): readonly string[];
  /** Called when one of them answers SHA-256 for the first time. */
  learn(number: string, agent: string): void;
  /**
   * The extension and its learnt phone models in one store read (the challenge's offer, issue
   * 16: one SQLite statement instead of two per 401); without it, `lookup` then `learnt`.
   * Reads the same store as `lookup`.
   */
  withLearnt?(user: string): { readonly ext: ExtensionRecord; readonly learnt: readonly string[] } | undefined;
}

/** Who a challenge is for: the extension claimed (To of a REGISTER, else From) and its User-Agent. */
export interface ChallengeFor {
  readonly user?: string;
  readonly agent?: string;
}

/** Result of checking a request's credentials (RFC 3261 §22.3, §22.4). */
export type AuthOutcome =
  /** `extension`: the record the credentials were checked against (read once per request: later stages reuse it). */
  | { readonly kind: 'ok'; readonly user: string; readonly extension: ExtensionRecord }
  | { readonly kind: 'challenge'; readonly stale: boolean }
  /** `failure`: a wrong password or an unknown user (counts towards a ban); else a bad header. */
  | { readonly kind: 'forbidden'; readonly reason: string; readonly status: number; readonly failure: boolean };

/**
 * Digest authentication of requests against the extensions' stored HA1 hashes.
 * `proxy` selects Proxy-Authorization / 407 (other requests) or Authorization / 401 (REGISTER).
 * Done fully (issue 10): the digest uri must be the Request-URI (RFC 2617 §3.2.2.5), the nonce
 * must have been issued to this client address, each (nonce, nc) is accepted once, and only
 * the algorithms offered with that nonce are accepted (the offer is per extension and phone:
 * digest-offer.ts).
 */
export class Authenticator {
  private readonly counts: NonceCounts;

  constructor(
    private readonly nonces: NonceIssuer,
    readonly realm: string,
    private readonly lookup: (user: string) => ExtensionRecord | undefined,
    /** `[sip] auth_algorithms`: offered to extensions on the `default` policy, most preferred first (RFC 8760 §2.4). */
    private readonly defaults: readonly DigestAlgorithm[] = ['MD5'],
    /** Hosts that mean this appliance: a digest uri naming us (no user) is accepted too (sipp, some phones). */
    private readonly isOurHost: (host: string) => boolean = () => false,
    private readonly learning?: DigestLearning,
  ) {
    this.counts = new NonceCounts(nonces.lifetime * 1000 + 10_000);
  }

  check(req: SipRequest, proxy: boolean, address: string, now = Date.now()): AuthOutcome {
    const list = req.headers[proxy ? 'proxy-authorization' : 'authorization'] as Record<string, string>[] | undefined;
    const mine = (list ?? []).filter((a) => a.scheme?.toLowerCase() === 'digest' && unq(a.realm) === this.realm);
    if (mine.length === 0) return { kind: 'challenge', stale: false };
    // A phone may answer several of our challenges (RFC 8760 §2.4): use one in an algorithm
    // offered with its nonce (the nonce's MAC, checked below, covers the offer).
    const creds = mine.map(readCredentials).find((c) => c && this.nonces.offered(c.nonce).includes(c.algorithm));
    if (!creds) {
      return mine.some((a) => readCredentials(a)) ? { kind: 'challenge', stale: false } : forbidden('malformed-message', 'Malformed credentials', false);
    }
    if (!sameRequestUri(creds.uri, req.uri) && !this.namesUs(creds.uri)) return forbidden('malformed-message', 'Digest uri does not match the Request-URI', true);
    const nonce = this.nonces.check(creds.nonce, address, now);
    if (nonce === 'invalid') return { kind: 'challenge', stale: false };
    const ext = this.lookup(creds.username);
    // Same answer for an unknown user and a wrong password: do not reveal which extensions exist.
    if (!ext || ext.realm !== this.realm) return forbidden('forbidden', 'Wrong credentials', true);
    const ha1 = creds.algorithm === 'SHA-256' ? ext.ha1Sha256 : ext.ha1Md5;
    if (!sameDigest(expectedResponse(ha1, req.method, creds), creds.response)) return forbidden('forbidden', 'Wrong credentials', true);
    // A right answer to an old nonce: ask again with stale=true so the phone retries silently (§22.4).
    if (nonce === 'stale') return { kind: 'challenge', stale: true };
    // A replayed (nonce, nc): a fresh challenge; the phone answers it, a replayer cannot.
    if (!this.counts.use(creds.nonce, creds.qop ? parseInt(creds.nc!, 16) : 0, now)) return { kind: 'challenge', stale: true };
    if (creds.algorithm === 'SHA-256' && this.learning) this.remember(ext.number, agentProduct(userAgent(req)));
    return { kind: 'ok', user: creds.username, extension: ext };
  }

  /** The algorithms to challenge this extension's phone with (digest-offer.ts). */
  offerFor(who: ChallengeFor): readonly DigestAlgorithm[] {
    if (!who.user) return this.defaults;
    const joint = !!this.learning?.withLearnt;
    const found = joint ? this.learning!.withLearnt!(who.user) : undefined;
    const ext = joint ? found?.ext : this.lookup(who.user);
    // An unknown extension gets the same offer as a known one on the default policy: the
    // challenge does not tell which extensions exist (issue 10).
    if (!ext) return this.defaults;
    const learnt = ext.digest !== 'md5' && !!(found ? found.learnt : this.learning?.learnt(ext.number))?.includes(agentProduct(who.agent));
    return offeredAlgorithms(ext.digest, this.defaults, learnt);
  }

  private remember(number: string, agent: string): void {
    if (!this.learning!.learnt(number).includes(agent)) this.learning!.learn(number, agent);
  }

  private namesUs(uri: string): boolean {
    const u = parseSipUri(uri);
    // sipp's bare IPv6 digest uri (`sip:::1:5060`, uri.ts unbracketedIpv6Hosts): only when it names us.
    if (!u) return unbracketedIpv6Hosts(uri).some((h) => this.isOurHost(`[${h}]`));
    return !u.user && this.isOurHost(u.host);
  }

  /** Challenge header values, one per algorithm offered to this phone, in the `sip` package's shape. */
  challenge(stale: boolean, address: string, who: ChallengeFor = {}, now = Date.now()): Record<string, string>[] {
    const offered = this.offerFor(who);
    const nonce = this.nonces.issue(address, now, offered);
    return offered.map((algorithm) => ({
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
  if (qop && (!nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce)) return undefined;
  return { username, realm: unq(a.realm)!, nonce, uri, response, algorithm: alg, qop, nc, cnonce };
}

function userAgent(req: SipRequest): string {
  return String(req.headers['user-agent'] ?? '');
}

function unq(v: string | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function forbidden(code: 'malformed-message' | 'forbidden', reason: string, failure: boolean): AuthOutcome {
  return { kind: 'forbidden', status: statusFor(code).sip, reason, failure };
}

/**
 * RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI. Compared as URIs (scheme, user,
 * host case-insensitively, port with its default), since phones differ in parameter spelling.
 */
export function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = parseSipUri(digestUri);
  const b = parseSipUri(requestUri);
  if (!a || !b) return false;
  const port = (u: typeof a) => u.port ?? (u.schema === 'sips' ? 5061 : 5060);
  return a.schema === b.schema && (a.user ?? '') === (b.user ?? '') && a.host.toLowerCase() === b.host.toLowerCase() && port(a) === port(b);
}
