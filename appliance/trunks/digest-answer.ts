import { computeHa1, digestHash } from '../sip/auth/digest.ts';
import type { DigestChallenge } from './register-response.ts';

/** The account a trunk answers challenges with. */
export interface DigestAccount {
  readonly authUsername: string;
  readonly password: string;
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge` for `method uri`
 * (RFC 3261 §22.4, RFC 2617 §3.2.2; SHA-256 per RFC 8760 §2.5), client side, with the hash
 * functions of the server side (sip/auth/digest.ts). `cnonce` and `nc` matter with qop=auth.
 */
export function digestAnswer(challenge: DigestChallenge, account: DigestAccount, method: string, uri: string, cnonce: string, nc = 1): string {
  const alg = challenge.algorithm;
  const ha1 = computeHa1(alg, account.authUsername, challenge.realm, account.password);
  const ha2 = digestHash(alg, `${method}:${uri}`);
  const ncText = nc.toString(16).padStart(8, '0');
  const response = challenge.qop
    ? digestHash(alg, `${ha1}:${challenge.nonce}:${ncText}:${cnonce}:auth:${ha2}`)
    : digestHash(alg, `${ha1}:${challenge.nonce}:${ha2}`);
  const q = (v: string) => `"${v.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [
    `username=${q(account.authUsername)}`, `realm=${q(challenge.realm)}`, `nonce=${q(challenge.nonce)}`, `uri=${q(uri)}`,
    `response=${q(response)}`, `algorithm=${alg}`,
    ...(challenge.opaque !== undefined ? [`opaque=${q(challenge.opaque)}`] : []),
    ...(challenge.qop ? [`qop=auth`, `nc=${ncText}`, `cnonce=${q(cnonce)}`] : []),
  ];
  return `Digest ${parts.join(', ')}`;
}
