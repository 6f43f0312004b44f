import type { ApplianceConfig } from '../../system/config/index.ts';
import { ValidationError } from '../../system/errors/index.ts';
import type { Store } from '../../system/store/index.ts';
import { isSealed, seal, unseal } from '../admin/backup-crypto.ts';
import { exportConfiguration, parseBackupDocument } from '../admin/backup-document.ts';
import { applyConfiguration, type RestoreResult } from '../admin/backup-restore.ts';
import { checkPasswordPolicy } from '../admin/password-policy.ts';

/**
 * Backup and restore of the configuration (issue 10 findings 8 and 10).
 *
 * A backup is either encrypted with a passphrase the admin chooses (backup-crypto.ts: scrypt +
 * AES-256-GCM) and then carries the extensions' HA1 hashes, or plain JSON without any secret
 * (restored extensions then need new passwords). Neither ever holds the peers, the nonce
 * secret, the admin password hash or the control token. A restore decrypts (a wrong passphrase
 * is a clear error), checks the document's shape, and applies it in one transaction through
 * the CLI/API validators (backup-restore.ts): all or nothing, the bad row named.
 */

/** Largest restore upload accepted (a backup of 10,000 extensions is about 3 MB). */
export const MAX_RESTORE_BYTES = 16 * 1024 * 1024;
const SQLITE_MAGIC = 'SQLite format 3\0';

/** A backup file: its bytes, and the file name and media type to download it as. */
export interface BackupFile {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  readonly contentType: string;
  readonly encrypted: boolean;
}

/**
 * Makes a backup: encrypted (with HA1 hashes) when `passphrase` is given — it must pass the
 * password policy, it is the file's only protection —, plain and without secrets otherwise.
 */
export async function backupStore(store: Store, config: ApplianceConfig, passphrase = ''): Promise<BackupFile> {
  const encrypted = passphrase !== '';
  if (encrypted) checkPasswordPolicy(passphrase, 'backup', [config.name, config.sip.domain]);
  const json = new TextEncoder().encode(JSON.stringify(exportConfiguration(store, config, encrypted), null, 1));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return encrypted
    ? { bytes: await seal(json, passphrase), fileName: `appliance-backup-${stamp}.osabk`, contentType: 'application/octet-stream', encrypted }
    : { bytes: json, fileName: `appliance-backup-${stamp}-no-secrets.json`, contentType: 'application/json', encrypted };
}

/** Validates `bytes` (decrypting with `passphrase` when encrypted) and applies the configuration atomically. */
export async function restoreStore(store: Store, config: ApplianceConfig, bytes: Uint8Array, passphrase = ''): Promise<RestoreResult> {
  if (bytes.length > MAX_RESTORE_BYTES) throw new ValidationError(`the backup is larger than ${MAX_RESTORE_BYTES / 1024 / 1024} MB`, 'file');
  if (new TextDecoder().decode(bytes.subarray(0, 16)) === SQLITE_MAGIC) {
    throw new ValidationError('this is a database copy from an earlier version: it holds password hashes and peer secrets in clear and is no longer restored. Make a new backup.', 'file');
  }
  const encrypted = isSealed(bytes);
  const plain = encrypted ? await unseal(bytes, passphrase) : bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new ValidationError('not an appliance backup (neither encrypted nor JSON text)', 'file');
  }
  return applyConfiguration(store, config, parseBackupDocument(text, encrypted));
}
