import { hkdfSync } from 'node:crypto';
import { openSecret, sealSecret } from '../../system/store/index.ts';

/** HKDF labels: the key that carries trunk passwords between two peers, derived from their shared secret. */
const SALT = 'office-sip-appliance peer configuration';
const INFO = 'trunk passwords v1';

/**
 * A trunk's password travels between peers sealed for that link (issue 19): AES-256-GCM
 * (sealed-secrets-store.ts) under a key derived (HKDF-SHA256, RFC 5869) from the two peers'
 * shared secret, bound to the trunk's name. Each member opens it and seals it again under its
 * own `secrets.key`; a member passing a row on seals it again for the next link. The password
 * is never in clear on the wire (even on an `http` peer URL), in the event log or in the API.
 */
export function linkKey(sharedSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sharedSecret, SALT, INFO, 32));
}

/** Seals a trunk's password for the link whose key is `key`. */
export function sealForLink(key: Buffer, trunk: string, password: string): string {
  return sealSecret(key, `peer trunk ${trunk}`, password);
}

/** Opens a trunk's password a peer sealed for this link; a wrong key, trunk name or a tampered value throws. */
export function openFromLink(key: Buffer, trunk: string, sealed: string): string {
  try {
    return openSecret(key, `peer trunk ${trunk}`, sealed);
  } catch {
    throw new Error(`the password of trunk ${trunk} does not open with our shared secret (sealed for another link or trunk, or tampered)`);
  }
}
