import type { Database } from 'bun:sqlite';
import { REPLICATED_TABLES, type ReplicatedKind } from './replicated-tables.ts';
import type { SealedSecretsStore } from './sealed-secrets-store.ts';

export { REPLICATED_KINDS, type ReplicatedKind } from './replicated-tables.ts';

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


/**
 * Versions and tombstones of the replicated tables (migration 12): the triggers version every
 * local write; this applies a peer's rows only when they are newer, under the `applying` flag
 * so they keep the peer's version, and lists what changed after a sequence number.
 */
export class ConfigVersionsStore {
  /** @param secrets opens and seals a trunk's password (its row carries it in clear, in memory only). */
  constructor(private readonly db: Database, private readonly secrets?: SealedSecretsStore) {}

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
    const rows = versions.map((v): ReplicatedRow => {
      const base = { kind: v.kind as ReplicatedKind, key: v.key, t: v.t, origin: v.origin };
      const table = REPLICATED_TABLES[v.kind as ReplicatedKind];
      const data = v.deleted || !table ? undefined : table.read(this.context(), v.key);
      return data ? { ...base, deleted: false, data } : { ...base, deleted: true };
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
              REPLICATED_TABLES[row.kind].write(this.context(), row.key, row.deleted ? undefined : row.data, now);
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

  /** Live rows and tombstones per kind (the bound on a peer's tombstones, appliance/peers/tombstone-cap.ts). */
  counts(): Map<ReplicatedKind, { live: number; tombstones: number }> {
    const rows = this.db.query<{ kind: ReplicatedKind; live: number; tombstones: number }, []>(
      'SELECT kind, SUM(deleted = 0) AS live, SUM(deleted = 1) AS tombstones FROM config_versions GROUP BY kind').all();
    return new Map(rows.map((r) => [r.kind, { live: r.live, tombstones: r.tombstones }]));
  }

  /** Drops tombstones older than `before` (ms); returns how many. */
  purgeTombstones(before: number): number {
    return this.db.query('DELETE FROM config_versions WHERE deleted = 1 AND t < ?').run(before).changes;
  }

  private context() {
    return { db: this.db, secrets: this.secrets };
  }
}
