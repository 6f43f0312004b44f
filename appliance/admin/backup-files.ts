import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../system/errors/index.ts';
import { secureDataDir, SECRET_FILE_MODE } from '../../system/store/file-modes.ts';

/**
 * The names scheduled backups get (`backupStore`'s encrypted file name: an ISO time stamp with
 * `:` and `.` as `-`), and the only names read from the directory: a name from a request is
 * matched against this before any path is built, so `..`, `/` or another file cannot be named.
 */
const NAME = /^appliance-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.osabk$/;

/** One stored backup as listed. */
export interface StoredBackup {
  readonly name: string;
  readonly bytes: number;
  /** When it was written (ms since the epoch). */
  readonly createdAt: number;
}

/** True for a name this directory may hold. */
export function isBackupName(name: string): boolean {
  return NAME.test(name);
}

function checkName(name: string): string {
  if (!isBackupName(name)) throw new ValidationError(`${JSON.stringify(name.slice(0, 80))} is not the name of a scheduled backup`, 'name');
  return name;
}

/** The directory of scheduled backups (`[backups] directory`): 0700, files 0600, like the store. */
export class BackupFiles {
  constructor(readonly directory: string) {}

  /** Newest first; files with other names are ignored (and never served). */
  list(): StoredBackup[] {
    if (!existsSync(this.directory)) return [];
    return readdirSync(this.directory).filter(isBackupName).sort().reverse().map((name) => {
      const st = statSync(join(this.directory, name));
      return { name, bytes: st.size, createdAt: st.mtimeMs };
    });
  }

  /** The bytes of one backup; a name that is not one, or not there, is an error naming it. */
  read(name: string): Uint8Array {
    const path = join(this.directory, checkName(name));
    if (!existsSync(path)) throw new ValidationError(`no scheduled backup ${name}`, 'name', 'not-found');
    return new Uint8Array(readFileSync(path));
  }

  /** Writes a backup whole or not at all (a temp file renamed), mode 0600. */
  write(name: string, bytes: Uint8Array): void {
    secureDataDir(this.directory);
    const path = join(this.directory, checkName(name));
    const partial = `${path}.partial`;
    writeFileSync(partial, bytes, { mode: SECRET_FILE_MODE });
    renameSync(partial, path);
  }

  /** Removes the oldest beyond `keep`; returns the names removed. */
  prune(keep: number): string[] {
    const gone = this.list().slice(keep).map((b) => b.name);
    for (const name of gone) rmSync(join(this.directory, name), { force: true });
    return gone;
  }
}
