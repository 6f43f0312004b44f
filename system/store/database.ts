import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApplianceError } from '../errors/index.ts';
import { migrate } from './migrations.ts';

/** File name of the store inside the data directory. */
export const STORE_FILE = 'appliance.sqlite';

/**
 * Opens (creating if needed) the SQLite store in `dataDir` in WAL mode and migrates it.
 * WAL lets the admin CLI and the running appliance use the store at the same time.
 */
export function openDatabase(dataDir: string): Database {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ApplianceError('store-failure', `cannot create data directory ${dataDir}: ${(err as Error).message}`);
  }
  let db: Database;
  try {
    db = new Database(join(dataDir, STORE_FILE), { create: true, strict: true });
    // busy_timeout first: switching to WAL and migrating need locks another process may hold
    // (several admin commands at once, workers starting together).
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (err) {
    throw new ApplianceError('store-failure', `cannot open store in ${dataDir}: ${(err as Error).message}`);
  }
  return db;
}
