import { join, resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { cronSchedule, int, str, table, type Field } from './fields.ts';

/** `[backups]`: scheduled, encrypted backups of the configuration (issue 17). */
export interface BackupsConfig {
  /** Cron expression (5 fields, or 6 with seconds first); undefined: no scheduled backups. */
  readonly schedule?: string;
  /** How many scheduled backups are kept (the oldest beyond it removed after each one). */
  readonly retention: number;
  /** Where they are written (absolute; default `<data_dir>/backups`). */
  readonly directory: string;
  /**
   * A file whose first line is the backup passphrase (absolute). Required with `schedule`: a
   * scheduled backup holds the extensions' password hashes, so it is always encrypted
   * (docs/SECURITY.md) and the passphrase is not written in the config itself.
   */
  readonly passphraseFile?: string;
}

/** Absent (TOML has no null): the key was not written. */
const ABSENT = null;
const optional = <T>(field: Field<T>): Field<T | undefined> => (v, key) => (v === ABSENT ? undefined : field(v, key));

/** Validates `[backups]`; relative paths are resolved against `baseDir` (the config file's directory). */
export function parseBackupsConfig(raw: unknown, baseDir: string, dataDir: string): BackupsConfig {
  const c = table(raw, 'backups', {
    schedule: optional(cronSchedule), retention: int(1, 1000), directory: optional(str()), passphrase_file: optional(str()),
  }, { schedule: ABSENT, retention: 7, directory: ABSENT, passphrase_file: ABSENT });
  if (c.schedule !== undefined && c.passphrase_file === undefined) {
    throw new ConfigError('backups.passphrase_file', 'is required with backups.schedule: scheduled backups are encrypted (they hold the extensions\' password hashes); name a file (mode 0600) whose first line is the passphrase');
  }
  return {
    ...(c.schedule !== undefined ? { schedule: c.schedule } : {}),
    retention: c.retention,
    directory: c.directory === undefined ? join(dataDir, 'backups') : resolve(baseDir, c.directory),
    ...(c.passphrase_file !== undefined ? { passphraseFile: resolve(baseDir, c.passphrase_file) } : {}),
  };
}
