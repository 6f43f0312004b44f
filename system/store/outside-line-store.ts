import type { Database } from 'bun:sqlite';
import { ApplianceError } from '../errors/index.ts';

/** What an admin added to the outside line (issue 14): a trunk, a route, or an inbound number. */
export type OutsideLineKind = 'trunk' | 'route' | 'inbound';

/**
 * One entry as stored: its table exactly as it would be written in the config file
 * (`[[trunks]]` / `[[routes]]` / `[[inbound]]` keys, without a trunk's password, which is a
 * sealed secret), so the config's own parser validates it (system/config/trunk-config.ts).
 */
export interface OutsideLineEntry {
  readonly id: number;
  readonly kind: OutsideLineKind;
  /** The trunk's or route's name; null for an inbound number. */
  readonly name: string | null;
  readonly entry: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row { id: number; kind: string; name: string | null; entry: string; created_at: number; updated_at: number }

/** CRUD on outside_line_entries; the order is the order of creation (routes: after the config's). */
export class OutsideLineStore {
  constructor(private readonly db: Database) {}

  list(kind?: OutsideLineKind): OutsideLineEntry[] {
    const rows = kind
      ? this.db.query<Row, [string]>('SELECT * FROM outside_line_entries WHERE kind = ? ORDER BY id').all(kind)
      : this.db.query<Row, []>('SELECT * FROM outside_line_entries ORDER BY id').all();
    return rows.map(toEntry);
  }

  get(id: number): OutsideLineEntry | undefined {
    const row = this.db.query<Row, [number]>('SELECT * FROM outside_line_entries WHERE id = ?').get(id);
    return row ? toEntry(row) : undefined;
  }

  byName(kind: OutsideLineKind, name: string): OutsideLineEntry | undefined {
    const row = this.db.query<Row, [string, string]>('SELECT * FROM outside_line_entries WHERE kind = ? AND name = ?').get(kind, name);
    return row ? toEntry(row) : undefined;
  }

  /** Adds an entry (already validated); `conflict` when the kind has that name. */
  add(kind: OutsideLineKind, name: string | null, entry: Record<string, unknown>, now = Date.now()): OutsideLineEntry {
    if (name !== null && this.byName(kind, name)) throw new ApplianceError('conflict', `${kind} ${name} already exists`);
    const res = this.db.query('INSERT INTO outside_line_entries (kind, name, entry, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(kind, name, JSON.stringify(entry), now, now);
    return this.get(Number(res.lastInsertRowid))!;
  }

  /** Replaces an entry's table (its name stays); `not-found` when it does not exist. */
  replace(id: number, entry: Record<string, unknown>, now = Date.now()): OutsideLineEntry {
    const res = this.db.query('UPDATE outside_line_entries SET entry = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(entry), now, id);
    if (res.changes === 0) throw new ApplianceError('not-found', `entry ${id} does not exist`);
    return this.get(id)!;
  }

  remove(id: number): void {
    const res = this.db.query('DELETE FROM outside_line_entries WHERE id = ?').run(id);
    if (res.changes === 0) throw new ApplianceError('not-found', `entry ${id} does not exist`);
  }
}

function toEntry(r: Row): OutsideLineEntry {
  return { id: r.id, kind: r.kind as OutsideLineKind, name: r.name, entry: JSON.parse(r.entry) as Record<string, unknown>, createdAt: r.created_at, updatedAt: r.updated_at };
}
