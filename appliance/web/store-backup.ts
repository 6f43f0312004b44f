import { Database } from 'bun:sqlite';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceError, ValidationError } from '../../system/errors/index.ts';
import { MIGRATIONS, migrate, type Store } from '../../system/store/index.ts';

/**
 * Backup and restore of the store.
 *
 * Backup: `VACUUM INTO` a temp file (a consistent copy even while workers write, SQLite §VACUUM),
 * read it, delete it.
 *
 * Restore: the upload must be a SQLite file that passes `integrity_check` and carries our
 * schema (user_version 1..current, every table we restore with our columns; an older version is
 * migrated first). It is then copied into the live store in ONE transaction — all or nothing —
 * so there is no file swap and no restart: the workers see the change through storeChanged().
 * Restored: configuration (every table but the live `registrations` and the `events` log),
 * except the admin password (`admin.*` settings), which stays as it is so the admin restoring
 * is not locked out.
 */

/** Tables that hold live state or history, not configuration: never restored. */
const LIVE_TABLES = new Set(['registrations', 'events']);
const SQLITE_MAGIC = 'SQLite format 3\0';
/** Largest restore upload accepted. */
export const MAX_RESTORE_BYTES = 200 * 1024 * 1024;

const tempName = (dir: string, what: string) => join(dir, `.${what}-${process.pid}-${crypto.randomUUID()}.sqlite`);

/** A consistent copy of the store as SQLite file bytes. */
export async function backupStore(store: Store): Promise<ArrayBuffer> {
  const path = tempName(tmpdir(), 'appliance-backup');
  try {
    store.db.run('VACUUM INTO ?', [path]);
    return await Bun.file(path).arrayBuffer();
  } finally {
    rmSync(path, { force: true });
  }
}

function tablesOf(db: Database, schema = 'main'): Map<string, string[]> {
  const names = db.query<{ name: string }, []>(`SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all();
  return new Map(names.map(({ name }) => [name, db.query<{ name: string }, []>(`PRAGMA ${schema}.table_info("${name}")`).all().map((c) => c.name)]));
}

/** Checks an uploaded file is a sound store of ours; migrates an older one in place. */
function validateUpload(path: string, live: Map<string, string[]>): void {
  let db: Database;
  try {
    db = new Database(path, { strict: true });
  } catch (err) {
    throw new ValidationError(`not a SQLite database: ${(err as Error).message}`, 'file');
  }
  try {
    const ok = db.query<{ integrity_check: string }, []>('PRAGMA integrity_check').get()?.integrity_check;
    if (ok !== 'ok') throw new ValidationError(`the backup is damaged (integrity_check: ${ok})`, 'file');
    const version = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    if (version < 1) throw new ValidationError('not an appliance backup (no schema version)', 'file');
    if (version > newest) throw new ValidationError(`the backup comes from newer software (schema ${version}, this appliance knows ${newest})`, 'file');
    migrate(db);
    const up = tablesOf(db);
    for (const [name, cols] of live) {
      if (LIVE_TABLES.has(name)) continue;
      const theirs = up.get(name);
      if (!theirs) throw new ValidationError(`not an appliance backup: table ${name} is missing`, 'file');
      const missing = cols.filter((c) => !theirs.includes(c));
      if (missing.length) throw new ValidationError(`not an appliance backup: ${name} lacks ${missing.join(', ')}`, 'file');
    }
  } catch (err) {
    if (err instanceof ApplianceError) throw err;
    throw new ValidationError(`not a usable appliance backup: ${(err as Error).message}`, 'file');
  } finally {
    db.close();
  }
}

/** Validates `bytes` and copies its configuration into the live store atomically; returns row counts. */
export function restoreStore(store: Store, bytes: Uint8Array, dataDir: string): Record<string, number> {
  if (bytes.length < 512 || new TextDecoder().decode(bytes.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new ValidationError('not a SQLite database file', 'file');
  }
  const path = tempName(dataDir, 'restore');
  writeFileSync(path, bytes);
  const live = tablesOf(store.db);
  try {
    validateUpload(path, live);
    const db = store.db;
    db.run('ATTACH DATABASE ? AS restored', [path]);
    try {
      const counts: Record<string, number> = {};
      db.transaction(() => {
        db.run('PRAGMA defer_foreign_keys = ON');
        for (const [name, cols] of live) {
          if (LIVE_TABLES.has(name)) continue;
          const list = cols.map((c) => `"${c}"`).join(', ');
          const keep = name === 'settings' ? " WHERE key NOT LIKE 'admin.%'" : '';
          db.run(`DELETE FROM main."${name}"${keep}`);
          counts[name] = db.run(`INSERT INTO main."${name}" (${list}) SELECT ${list} FROM restored."${name}"${keep}`).changes;
        }
      })();
      return counts;
    } finally {
      db.run('DETACH DATABASE restored');
    }
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
  }
}
