import type { DigestPolicy } from '../../../system/store/index.ts';
import type { DigestAlgorithm } from './digest.ts';

/**
 * Which digest algorithms a phone is challenged with (RFC 8760 §2.4: one challenge per
 * algorithm, most preferred first). MD5 alone is the default because phones differ: Debian's
 * baresip 1.0 gives up on a 401 carrying a SHA-256 challenge it does not know ("Function not
 * implemented") even when an MD5 one follows, and sipp 3.6 answers the first challenge only;
 * Kamailio and Asterisk challenge with MD5 only by default. SHA-256 is offered where it is
 * known to work:
 * - set per extension by the admin (`both`: SHA-256 then MD5; `sha-256`: SHA-256 only), or
 * - learnt: a phone (its User-Agent product) that has answered a SHA-256 challenge of this
 *   extension is challenged with SHA-256 only from then on, so its answers on the wire are
 *   never MD5 again (an offline guess at the password from a captured MD5 answer is the cheap
 *   one). `md5` overrides what was learnt.
 */
export function offeredAlgorithms(
  policy: DigestPolicy,
  defaults: readonly DigestAlgorithm[],
  learnt: boolean,
): readonly DigestAlgorithm[] {
  if (policy === 'md5') return MD5_ONLY;
  if (learnt || policy === 'sha-256') return SHA256_ONLY;
  if (policy === 'both') return BOTH;
  return defaults;
}

const MD5_ONLY: readonly DigestAlgorithm[] = ['MD5'];
const SHA256_ONLY: readonly DigestAlgorithm[] = ['SHA-256'];
const BOTH: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/**
 * The phone model a User-Agent names, as the key of what was learnt: its first product token
 * without the version (RFC 3261 §20.41, RFC 7231 §5.5.3), so a firmware update keeps what
 * the phone proved. "Linphone-Desktop/5.2.0 (belle-sip/5.2.0)" → "linphone-desktop".
 */
export function agentProduct(userAgent: string | undefined): string {
  const first = (userAgent ?? '').trim().split(/[\s/]/, 1)[0] ?? '';
  return first.toLowerCase().replace(/[^a-z0-9._+-]/g, '').slice(0, 64);
}

/** The offered set as a nonce field: one hex digit, bit 1 MD5, bit 2 SHA-256. */
export function algorithmMask(algorithms: readonly DigestAlgorithm[]): string {
  return ((algorithms.includes('MD5') ? 1 : 0) | (algorithms.includes('SHA-256') ? 2 : 0)).toString(16);
}

/** The algorithms a nonce field names; empty for anything else. */
export function maskAlgorithms(mask: string): DigestAlgorithm[] {
  const bits = /^[0-3]$/.test(mask) ? parseInt(mask, 16) : 0;
  return [...(bits & 2 ? ['SHA-256' as const] : []), ...(bits & 1 ? ['MD5' as const] : [])];
}
