import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { ValidationError } from '../../system/errors/index.ts';

/**
 * The encrypted backup envelope: a passphrase the admin chooses, stretched with scrypt
 * (RFC 7914) into an AES-256-GCM key (NIST SP 800-38D), everything from node:crypto.
 *
 * Layout (all of the header is authenticated as GCM additional data, so a changed parameter
 * fails like a wrong passphrase):
 *
 * | bytes | field |
 * |---|---|
 * | 8  | magic `OSABKENC` |
 * | 1  | envelope version (1) |
 * | 1  | KDF id (1 = scrypt) |
 * | 1  | scrypt log2 N |
 * | 1  | scrypt r |
 * | 1  | scrypt p |
 * | 16 | salt |
 * | 12 | GCM nonce |
 * | …  | ciphertext |
 * | 16 | GCM tag |
 *
 * scrypt N = 2^17, r = 8, p = 1 (128 MiB, ~0.6 s on the 2-core reference box): an offline
 * guess costs that much memory and time.
 */
export const ENVELOPE_MAGIC = 'OSABKENC';
export const ENVELOPE_VERSION = 1;
const KDF_SCRYPT = 1;
const HEADER_BYTES = 8 + 5 + 16 + 12;
const TAG_BYTES = 16;
/** scrypt cost this version writes. */
export const SCRYPT_PARAMS = { logN: 17, r: 8, p: 1 } as const;

/** True when `bytes` start with the envelope's magic (an encrypted backup). */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= ENVELOPE_MAGIC.length && Buffer.from(bytes.subarray(0, ENVELOPE_MAGIC.length)).toString('latin1') === ENVELOPE_MAGIC;
}

function deriveKey(passphrase: string, salt: Uint8Array, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r * p bytes; node's default cap (32 MiB) is below N = 2^17.
    scrypt(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Encrypts `plaintext` under `passphrase` (already checked against the password policy). */
export async function seal(plaintext: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const { logN, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = Buffer.concat([Buffer.from(ENVELOPE_MAGIC, 'latin1'), Buffer.from([ENVELOPE_VERSION, KDF_SCRYPT, logN, r, p]), salt, nonce]);
  const key = await deriveKey(passphrase, salt, logN, r, p);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([header, body, cipher.getAuthTag()]));
}

/**
 * Decrypts an envelope. A wrong passphrase and a changed byte look the same to GCM: both give
 * one clear `ValidationError` (field `passphrase`), and nothing of the content is returned.
 */
export async function unseal(bytes: Uint8Array, passphrase: string): Promise<Uint8Array> {
  if (!isSealed(bytes) || bytes.length < HEADER_BYTES + TAG_BYTES) throw new ValidationError('not an encrypted appliance backup', 'file');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, kdf, logN, r, p] = buf.subarray(8, 13);
  if (version !== ENVELOPE_VERSION) throw new ValidationError(`the backup comes from newer software (envelope version ${version}, this appliance knows ${ENVELOPE_VERSION})`, 'file');
  // Bounds keep a crafted header from asking for gigabytes of scrypt memory.
  if (kdf !== KDF_SCRYPT || logN < 14 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) {
    throw new ValidationError('the backup header names a key derivation this appliance does not accept', 'file');
  }
  if (passphrase === '') throw new ValidationError('this backup is encrypted: give its passphrase', 'passphrase');
  const header = buf.subarray(0, HEADER_BYTES);
  const salt = header.subarray(13, 29);
  const nonce = header.subarray(29, HEADER_BYTES);
  const key = await deriveKey(passphrase, salt, logN, r, p);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(header);
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(HEADER_BYTES, buf.length - TAG_BYTES)), decipher.final()]));
  } catch {
    throw new ValidationError('wrong passphrase, or the backup file was altered or damaged: nothing was restored', 'passphrase');
  }
}
