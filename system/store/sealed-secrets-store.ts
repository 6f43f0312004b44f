import type { Database } from 'bun:sqlite';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplianceError } from '../errors/index.ts';
import { tightenFile } from './file-modes.ts';

/** The key file in the data directory (32 random bytes, 0600), made at first use. */
export const SECRETS_KEY_FILE = 'secrets.key';
/** Prefix of a sealed value: format version 1 = AES-256-GCM, 12-byte nonce, 16-byte tag. */
const V1 = 'v1:';

/**
 * The data directory's secrets key: read, or created once (O_EXCL: workers starting together
 * agree on one key), mode 0600 (tightened when looser).
 */
export function secretsKey(dataDir: string): Buffer {
  const path = join(dataDir, SECRETS_KEY_FILE);
  try {
    writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ApplianceError('store-failure', `cannot create ${path}: ${(err as Error).message}`);
  }
  tightenFile(path);
  const key = readFileSync(path);
  if (key.length !== 32) throw new ApplianceError('store-failure', `${path} is not a 32-byte key (${key.length} bytes): restore it from where it was kept, or remove it and set the trunk passwords again`);
  return key;
}

/** Seals `plaintext` under `key`, bound to `name` (AAD: a sealed value moved to another name does not open). */
export function sealSecret(key: Buffer, name: string, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return V1 + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

/** Opens a value of {@link sealSecret}; a wrong key, name or a tampered value is an error. */
export function openSecret(key: Buffer, name: string, sealed: string): string {
  const bytes = sealed.startsWith(V1) ? Buffer.from(sealed.slice(V1.length), 'base64') : Buffer.alloc(0);
  if (bytes.length < 28) throw new ApplianceError('store-failure', `sealed secret ${name} is not in a known format`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new ApplianceError('store-failure', `sealed secret ${name} does not open with this data directory's ${SECRETS_KEY_FILE} (another key, or tampered)`);
  }
}

/**
 * Secrets the appliance must use in clear (a trunk's password: it answers the provider's
 * digest challenges), kept encrypted at rest (AES-256-GCM under the data directory's own key
 * file, `secrets.key`, 0600). The database alone (a copied file, a backup of it, an SQL
 * dump) does not reveal them; whoever reads the data directory with the key does (it is
 * 0700). Never logged; no API or CLI returns them.
 */
export class SealedSecretsStore {
  private cachedKey?: Buffer;
  constructor(private readonly db: Database, private readonly dataDir: string) {}

  private key(): Buffer {
    this.cachedKey ??= secretsKey(this.dataDir);
    return this.cachedKey;
  }

  /** Stores `value` for `name`, replacing any; returns whether it changed. */
  put(name: string, value: string, now = Date.now()): boolean {
    if (this.get(name) === value) return false;
    this.db.query('INSERT INTO sealed_secrets (name, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at')
      .run(name, sealSecret(this.key(), name, value), now);
    return true;
  }

  /** The secret in clear, or undefined when none is stored. */
  get(name: string): string | undefined {
    const row = this.db.query<{ sealed: string }, [string]>('SELECT sealed FROM sealed_secrets WHERE name = ?').get(name);
    return row ? openSecret(this.key(), name, row.sealed) : undefined;
  }

  has(name: string): boolean {
    return this.db.query<{ n: number }, [string]>('SELECT COUNT(*) AS n FROM sealed_secrets WHERE name = ?').get(name)!.n > 0;
  }

  remove(name: string): void {
    this.db.query('DELETE FROM sealed_secrets WHERE name = ?').run(name);
  }
}
