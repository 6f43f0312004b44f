import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { ApplianceError } from '../errors/index.ts';

/**
 * Modes of the files at rest. The store holds HA1 hashes (password-equivalent, RFC 2617
 * §3.2.2.2), the nonce secret, the admin hash and peer secrets; the data directory holds the
 * control token and the secrets key (sealed-secrets-store.ts). None of it is for other local
 * users: the directory is 0700, files 0600.
 */
export const DIR_MODE = 0o700;
export const SECRET_FILE_MODE = 0o600;

/**
 * Creates `dir` with mode 0700 (parents as needed), or tightens an existing one that grants
 * anything to group or others. A path that exists but is not a directory is an error.
 */
export function secureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    const st = statSync(dir);
    if (!st.isDirectory()) throw new Error('not a directory');
    if ((st.mode & 0o077) !== 0) chmodSync(dir, DIR_MODE);
  } catch (err) {
    throw new ApplianceError('store-failure', `cannot create data directory ${dir} (mode 0700): ${(err as Error).message}`);
  }
}

/**
 * Makes sure `path` exists with mode 0600 before anything writes to it: created empty with
 * that mode (O_CREAT honours it, the umask can only remove bits), or tightened when it exists.
 */
export function createSecretFile(path: string): void {
  closeSync(openSync(path, 'a', SECRET_FILE_MODE));
  tightenFile(path);
}

/** Sets an existing file to 0600 when it grants more; a missing file is fine (nothing to protect). */
export function tightenFile(path: string): void {
  if (!existsSync(path)) return;
  if ((statSync(path).mode & 0o777) !== SECRET_FILE_MODE) chmodSync(path, SECRET_FILE_MODE);
}
