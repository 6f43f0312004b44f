import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { ApplianceError } from '../errors/index.ts';
import { createSecretFile, secureDataDir, tightenFile } from './file-modes.ts';
import { migrate } from './migrations.ts';

/** File name of the store inside the data directory. */
export const STORE_FILE = 'appliance.sqlite';

/**
 * Opens (creating if needed) the SQLite store in `dataDir` in WAL mode and migrates it.
 * WAL lets the admin CLI and the running appliance use the store at the same time.
 *
 * Files at rest (file-modes.ts): the directory is 0700 and the database file is made 0600
 * before SQLite opens it. SQLite creates the -wal and -shm files later with the database
 * file's own mode (os_unix.c findCreateFileMode, unixOpenSharedMemory), so they are 0600 too;
 * ones left looser by an older version are tightened here.
 */
export function openDatabase(dataDir: string): Database {
  secureDataDir(dataDir);
  const path = join(dataDir, STORE_FILE);
  let db: Database;
  try {
    createSecretFile(path);
    db = new Database(path, { create: true, strict: true });
    // busy_timeout first: switching to WAL and migrating need locks another process may hold
    // (several admin commands at once, workers starting together).
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    for (const suffix of ['-wal', '-shm']) tightenFile(path + suffix);
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (err) {
    throw new ApplianceError('store-failure', `cannot open store in ${dataDir}: ${(err as Error).message}`);
  }
  return db;
}
