import type { Database } from 'bun:sqlite';
import type { SealedSecretsStore } from './sealed-secrets-store.ts';

/** Tables whose rows replicate between peers (issue 19); the key of each is in replication-schema.ts. */
export const REPLICATED_KINDS = ['extension', 'dns-record', 'ring-group', 'call-features', 'trunk', 'route', 'inbound', 'setting'] as const;
export type ReplicatedKind = (typeof REPLICATED_KINDS)[number];

/** What a table's reader and writer may use: the database, and the sealed secrets (a trunk's password). */
export interface TableContext {
  readonly db: Database;
  readonly secrets?: SealedSecretsStore;
}

/**
 * How one replicated table is read for sending (the row's columns in camelCase, undefined when
 * it is gone) and written when a peer's newer row arrives (data undefined: remove it). Rows are
 * checked before they get here (appliance/peers/config-rows*.ts); the writer trusts them.
 */
export interface ReplicatedTable {
  read(ctx: TableContext, key: string): Record<string, unknown> | undefined;
  write(ctx: TableContext, key: string, data: Record<string, unknown> | undefined, now: number): void;
}

const EXTENSION_COLUMNS = ['number', 'display_name', 'realm', 'ha1_md5', 'ha1_sha256', 'e164', 'digest', 'call_class',
  'max_outside_calls', 'outside_calls_per_hour', 'outbound_caller_id'] as const;
const RING_GROUP_COLUMNS = ['number', 'name', 'strategy', 'ring_seconds', 'timeout_seconds', 'fallback',
  'call_class', 'max_outside_calls', 'outside_calls_per_hour'] as const;
const FEATURE_COLUMNS = ['extension', 'dnd', 'forward_always', 'forward_busy', 'forward_noanswer', 'noanswer_seconds', 'forward_unreachable', 'voicemail_uri'] as const;
const camel = (c: string) => c.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase());
type Value = string | number | null;

function readColumns(db: Database, table: string, columns: readonly string[], keyColumn: string, key: string): Record<string, unknown> | undefined {
  const row = db.query<Record<string, unknown>, [string]>(`SELECT ${columns.join(', ')} FROM ${table} WHERE ${keyColumn} = ?`).get(key);
  return row ? Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) : undefined;
}

/** Inserts or updates a row by its key column, stamping created_at/updated_at as a local write would. */
function upsertColumns(db: Database, table: string, columns: readonly string[], keyColumn: string, key: string, data: Record<string, unknown>, now: number): void {
  const values = columns.map((c) => (c === keyColumn ? key : (data[camel(c)] ?? null))) as Value[];
  const set = columns.filter((c) => c !== keyColumn);
  const created = table === 'call_features' ? '' : ', created_at';
  const createdValue = table === 'call_features' ? '' : ', ?';
  db.query(`INSERT INTO ${table} (${columns.join(', ')}${created}, updated_at) VALUES (${columns.map(() => '?').join(', ')}${createdValue}, ?)
    ON CONFLICT (${keyColumn}) DO UPDATE SET ${set.map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = excluded.updated_at`)
    .run(...values, ...(created ? [now] : []), now);
}

const extension: ReplicatedTable = {
  read: ({ db }, key) => readColumns(db, 'extensions', EXTENSION_COLUMNS, 'number', key),
  write: ({ db }, key, data, now) => {
    if (!data) {
      db.query('DELETE FROM digest_learnt WHERE extension = ?').run(key);
      db.query('DELETE FROM extensions WHERE number = ?').run(key);
      return;
    }
    upsertColumns(db, 'extensions', EXTENSION_COLUMNS, 'number', key, data, now);
  },
};

/** A DNS record's key is JSON [name, type, value] (its id is each member's own). */
const dnsRecord: ReplicatedTable = {
  read: ({ db }, key) => {
    const [name, type, value] = JSON.parse(key) as string[];
    return db.query<{ name: string; type: string; value: string; ttl: number | null }, [string, string, string]>(
      'SELECT name, type, value, ttl FROM dns_records WHERE name = ? AND type = ? AND value = ?').get(name!, type!, value!) ?? undefined;
  },
  write: ({ db }, key, data, now) => {
    const [name, type, value] = JSON.parse(key) as string[];
    if (!data) {
      db.query('DELETE FROM dns_records WHERE name = ? AND type = ? AND value = ?').run(name!, type!, value!);
      return;
    }
    db.query(`INSERT INTO dns_records (name, type, value, ttl, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (name, type, value) DO UPDATE SET ttl = excluded.ttl, updated_at = excluded.updated_at`)
      .run(name!, type!, value!, (data.ttl as number | null) ?? null, now, now);
  },
};

/** A ring group with its members (in hunt order) as one row: a change of either is a change of the group. */
const ringGroup: ReplicatedTable = {
  read: ({ db }, key) => {
    const cols = readColumns(db, 'ring_groups', RING_GROUP_COLUMNS, 'number', key);
    if (!cols) return undefined;
    const members = db.query<{ member: string }, [string]>('SELECT member FROM ring_group_members WHERE group_number = ? ORDER BY position').all(key).map((m) => m.member);
    return { ...cols, members };
  },
  write: ({ db }, key, data, now) => {
    db.query('DELETE FROM ring_group_members WHERE group_number = ?').run(key);
    if (!data) {
      db.query('DELETE FROM ring_groups WHERE number = ?').run(key);
      return;
    }
    upsertColumns(db, 'ring_groups', RING_GROUP_COLUMNS, 'number', key, data, now);
    const insert = db.query('INSERT INTO ring_group_members (group_number, position, member) VALUES (?, ?, ?)');
    (data.members as string[]).forEach((m, i) => insert.run(key, i, m));
  },
};

const callFeatures: ReplicatedTable = {
  read: ({ db }, key) => {
    const cols = readColumns(db, 'call_features', FEATURE_COLUMNS, 'extension', key);
    return cols ? { ...cols, dnd: cols.dnd !== 0 } : undefined;
  },
  write: ({ db }, key, data, now) => {
    if (!data) {
      db.query('DELETE FROM call_features WHERE extension = ?').run(key);
      return;
    }
    upsertColumns(db, 'call_features', FEATURE_COLUMNS, 'extension', key, { ...data, dnd: data.dnd ? 1 : 0 }, now);
  },
};

/** Trunks, routes and inbound numbers the admin added (outside_line_entries); an inbound number's key is its did. */
function outsideLine(kind: 'trunk' | 'route' | 'inbound'): ReplicatedTable {
  const find = (db: Database, key: string) => kind === 'inbound'
    ? db.query<{ id: number; entry: string }, [string]>(`SELECT id, entry FROM outside_line_entries WHERE kind = 'inbound' AND json_extract(entry, '$.did') = ? ORDER BY id LIMIT 1`).get(key)
    : db.query<{ id: number; entry: string }, [string, string]>('SELECT id, entry FROM outside_line_entries WHERE kind = ? AND name = ?').get(kind, key);
  return {
    read: ({ db, secrets }, key) => {
      const row = find(db, key);
      if (!row) return undefined;
      const entry = JSON.parse(row.entry) as Record<string, unknown>;
      // The password in clear, only in memory: the sender seals it for the link (appliance/peers/config-secrets.ts).
      // One that does not open here (secrets.key lost or replaced) is left out: the peers keep theirs.
      return kind === 'trunk' ? { entry, ...passwordOf(secrets, key) } : { entry };
    },
    write: ({ db, secrets }, key, data, now) => {
      const row = find(db, key);
      if (!data) {
        if (row) db.query('DELETE FROM outside_line_entries WHERE id = ?').run(row.id);
        if (kind === 'trunk') secrets?.remove(`trunk:${key}`);
        return;
      }
      const entry = JSON.stringify(data.entry);
      if (row) db.query('UPDATE outside_line_entries SET entry = ?, updated_at = ? WHERE id = ?').run(entry, now, row.id);
      else db.query('INSERT INTO outside_line_entries (kind, name, entry, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(kind, kind === 'inbound' ? null : key, entry, now, now);
      if (kind !== 'trunk') return;
      // A string: the new password; null: the trunk has none; absent: the sender could not open its own, keep ours.
      if (typeof data.password === 'string') secrets?.put(`trunk:${key}`, data.password, now);
      else if (data.password === null) secrets?.remove(`trunk:${key}`);
    },
  };
}

function passwordOf(secrets: SealedSecretsStore | undefined, trunk: string): { password?: string | null } {
  try {
    return { password: secrets?.get(`trunk:${trunk}`) ?? null };
  } catch {
    return {};
  }
}

/** The group's settings (replication-schema.ts GROUP_SETTINGS); the writer is only reached for those. */
const setting: ReplicatedTable = {
  read: ({ db }, key) => {
    const row = db.query<{ value: string }, [string]>('SELECT value FROM settings WHERE key = ?').get(key);
    return row ? { value: row.value } : undefined;
  },
  write: ({ db }, key, data) => {
    if (!data) db.query('DELETE FROM settings WHERE key = ?').run(key);
    else db.query('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(data.value));
  },
};

/** The reader and writer of each replicated kind. */
export const REPLICATED_TABLES: Readonly<Record<ReplicatedKind, ReplicatedTable>> = {
  extension, 'dns-record': dnsRecord, 'ring-group': ringGroup, 'call-features': callFeatures,
  trunk: outsideLine('trunk'), route: outsideLine('route'), inbound: outsideLine('inbound'), setting,
};
