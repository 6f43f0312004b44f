import type { Database } from 'bun:sqlite';

/** Tables whose rows replicate between peers (issue 19). */
export type ReplicatedKind = 'extension';

/** A row's version: hybrid-logical-clock milliseconds, then the appliance that wrote it. */
export interface RowVersion {
  readonly t: number;
  readonly origin: string;
}

/** One replicated row as it travels between peers: its version and its data, or a tombstone. */
export interface ReplicatedRow {
  readonly kind: ReplicatedKind;
  readonly key: string;
  readonly t: number;
  readonly origin: string;
  readonly deleted: boolean;
  /** The row's columns (camelCase), absent for a tombstone. */
  readonly data?: Record<string, unknown>;
}

/** What applying a batch from a peer did. */
export interface ApplyOutcome {
  readonly applied: number;
  /** Rows whose version here is the same or newer. */
  readonly older: number;
  /** Rows the table refused (a unique column taken here by another row). */
  readonly failed: readonly { readonly key: string; readonly reason: string }[];
}

/** Whether `a` is newer than `b`: the later clock, then the greater origin name (the same on every member). */
export function newerVersion(a: RowVersion, b: RowVersion | undefined): boolean {
  if (!b) return true;
  return a.t > b.t || (a.t === b.t && a.origin > b.origin);
}

interface VersionRow { kind: string; key: string; t: number; origin: string; deleted: number; seq: number }

const EXTENSION_COLUMNS = ['number', 'display_name', 'realm', 'ha1_md5', 'ha1_sha256', 'e164', 'digest', 'call_class',
  'max_outside_calls', 'outside_calls_per_hour', 'outbound_caller_id'] as const;
const camel = (c: string) => c.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase());

/**
 * Versions and tombstones of the replicated tables (migration 12): the triggers version every
 * local write; this applies a peer's rows only when they are newer, under the `applying` flag
 * so they keep the peer's version, and lists what changed after a sequence number.
 */
export class ConfigVersionsStore {
  constructor(private readonly db: Database) {}

  /** The name local writes are versioned with (the appliance's `name`). */
  setOrigin(name: string): void {
    this.db.query('UPDATE replication_state SET origin = ? WHERE id = 1').run(name);
  }

  /** The latest local change number. */
  maxSeq(): number {
    return this.db.query<{ s: number | null }, []>('SELECT MAX(seq) AS s FROM config_versions').get()?.s ?? 0;
  }

  version(kind: ReplicatedKind, key: string): (RowVersion & { readonly deleted: boolean }) | undefined {
    const r = this.db.query<VersionRow, [string, string]>('SELECT * FROM config_versions WHERE kind = ? AND key = ?').get(kind, key);
    return r ? { t: r.t, origin: r.origin, deleted: r.deleted === 1 } : undefined;
  }

  /** Rows changed here after `seq` (oldest first, at most `limit`), with their data, and the last seq among them. */
  changesAfter(seq: number, limit: number): { rows: ReplicatedRow[]; lastSeq: number } {
    const versions = this.db.query<VersionRow, [number, number]>('SELECT * FROM config_versions WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit);
    const ext = this.db.query<Record<string, unknown>, [string]>(`SELECT ${EXTENSION_COLUMNS.join(', ')} FROM extensions WHERE number = ?`);
    const rows = versions.map((v): ReplicatedRow => {
      const base = { kind: v.kind as ReplicatedKind, key: v.key, t: v.t, origin: v.origin };
      const cols = v.deleted ? null : ext.get(v.key);
      if (!cols) return { ...base, deleted: true };
      return { ...base, deleted: false, data: Object.fromEntries(Object.entries(cols).map(([k, x]) => [camel(k), x])) };
    });
    return { rows, lastSeq: versions.at(-1)?.seq ?? seq };
  }

  /** Applies checked rows from a peer: each only if newer than the version here, in one transaction. */
  apply(rows: readonly ReplicatedRow[], now = Date.now()): ApplyOutcome {
    let applied = 0;
    let older = 0;
    const failed: { key: string; reason: string }[] = [];
    this.db.transaction(() => {
      this.db.query('UPDATE replication_state SET applying = 1 WHERE id = 1').run();
      try {
        for (const row of rows) {
          if (!newerVersion(row, this.version(row.kind, row.key))) { older++; continue; }
          try {
            this.db.transaction(() => {
              this.writeExtension(row, now);
              this.db.query(`INSERT OR REPLACE INTO config_versions (kind, key, t, origin, deleted, seq)
                VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM config_versions))`)
                .run(row.kind, row.key, row.t, row.origin, row.deleted ? 1 : 0);
            })();
            applied++;
          } catch (err) {
            failed.push({ key: row.key, reason: (err as Error).message });
          }
        }
      } finally {
        this.db.query('UPDATE replication_state SET applying = 0 WHERE id = 1').run();
      }
    })();
    return { applied, older, failed };
  }

  /** Drops tombstones older than `before` (ms); returns how many. */
  purgeTombstones(before: number): number {
    return this.db.query('DELETE FROM config_versions WHERE deleted = 1 AND t < ?').run(before).changes;
  }

  private writeExtension(row: ReplicatedRow, now: number): void {
    if (row.deleted) {
      this.db.query('DELETE FROM digest_learnt WHERE extension = ?').run(row.key);
      this.db.query('DELETE FROM extensions WHERE number = ?').run(row.key);
      return;
    }
    const d = row.data!;
    const values = EXTENSION_COLUMNS.map((c) => (c === 'number' ? row.key : d[camel(c)] ?? null)) as (string | number | null)[];
    const exists = this.db.query('SELECT 1 FROM extensions WHERE number = ?').get(row.key);
    if (exists) {
      this.db.query(`UPDATE extensions SET ${EXTENSION_COLUMNS.slice(1).map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE number = ?`)
        .run(...values.slice(1), now, row.key);
    } else {
      this.db.query(`INSERT INTO extensions (${EXTENSION_COLUMNS.join(', ')}, created_at, updated_at) VALUES (${EXTENSION_COLUMNS.map(() => '?').join(', ')}, ?, ?)`)
        .run(...values, now, now);
    }
  }
}
