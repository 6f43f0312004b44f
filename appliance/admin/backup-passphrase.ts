import { readFileSync, statSync } from 'node:fs';
import { ApplianceError, ConfigError } from '../../system/errors/index.ts';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { checkPasswordPolicy } from './password-policy.ts';

const KEY = 'backups.passphrase_file';

/**
 * The passphrase of the scheduled backups: the first line of `[backups] passphrase_file`. The
 * file must not be readable by every local user (it opens every scheduled backup) and the
 * passphrase must pass the backup passphrase policy (zxcvbn score 4), as a manual encrypted
 * backup's does. Any failure names the key; the passphrase itself is never in a message.
 */
export function readBackupPassphrase(config: ApplianceConfig): string {
  const path = config.backups.passphraseFile;
  if (path === undefined) throw new ConfigError(KEY, 'is not set: scheduled backups need it');
  let text: string;
  try {
    if ((statSync(path).mode & 0o004) !== 0) throw new ConfigError(KEY, `${path} is readable by every user: chmod 0600 (or 0640 for the service's group)`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ApplianceError) throw err;
    throw new ConfigError(KEY, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const passphrase = text.split(/\r?\n/, 1)[0] ?? '';
  if (passphrase === '') throw new ConfigError(KEY, `${path} is empty: its first line is the passphrase`);
  try {
    checkPasswordPolicy(passphrase, 'backup', [config.name, config.sip.domain]);
  } catch (err) {
    throw new ConfigError(KEY, `the passphrase in ${path}: ${(err as Error).message}`);
  }
  return passphrase;
}
