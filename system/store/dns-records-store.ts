import type { Database } from 'bun:sqlite';
import { ApplianceError } from '../errors/index.ts';

/**
 * One admin-managed DNS record as stored. `name` is a lower-case absolute name without the
 * trailing dot; `value` is the record data in canonical presentation form (RFC 1035 §5.1),
 * validated by the DNS function before it reaches the store.
 */
export interface DnsRecordRow {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly value: string;
  /** Seconds; null means the configured default (`dns.ttl`). */
  readonly ttl: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  id: number; name: string; type: string; value: string; ttl: number | null; created_at: number; updated_at: number;
}

const toRecord = (r: Row): DnsRecordRow => ({
  id: r.id, name: r.name, type: r.type, value: r.value, ttl: r.ttl, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** CRUD on the dns_records table (admin-managed records only; derived records are never stored). */
export class DnsRecordsStore {
  constructor(private readonly db: Database) {}

  /** Every admin record, ordered by name, type, id. */
  list(): DnsRecordRow[] {
    return this.db.query<Row, []>('SELECT * FROM dns_records ORDER BY name, type, id').all().map(toRecord);
  }

  get(id: number): DnsRecordRow | undefined {
    const row = this.db.query<Row, [number]>('SELECT * FROM dns_records WHERE id = ?').get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Records at one owner name (any type). */
  byName(name: string): DnsRecordRow[] {
    return this.db.query<Row, [string]>('SELECT * FROM dns_records WHERE name = ? ORDER BY type, id').all(name).map(toRecord);
  }

  /** Inserts a record; `conflict` when the same name, type and value exist already. */
  add(rec: { name: string; type: string; value: string; ttl: number | null }, now = Date.now()): DnsRecordRow {
    const dup = this.db.query('SELECT id FROM dns_records WHERE name = ? AND type = ? AND value = ?').get(rec.name, rec.type, rec.value);
    if (dup) throw new ApplianceError('conflict', `record ${rec.name} ${rec.type} ${rec.value} already exists`, { field: 'name' });
    const res = this.db.query(`INSERT INTO dns_records (name, type, value, ttl, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`).run(rec.name, rec.type, rec.value, rec.ttl, now, now);
    return this.get(Number(res.lastInsertRowid))!;
  }

  /** Removes one record by id; `not-found` when there is none. */
  remove(id: number): DnsRecordRow {
    const rec = this.get(id);
    if (!rec) throw new ApplianceError('not-found', `no DNS record with id ${id}`);
    this.db.query('DELETE FROM dns_records WHERE id = ?').run(id);
    return rec;
  }

  /** Removes the record with this name, type and value; `not-found` when there is none. */
  removeMatching(name: string, type: string, value: string): DnsRecordRow {
    const row = this.db.query<Row, [string, string, string]>('SELECT * FROM dns_records WHERE name = ? AND type = ? AND value = ?').get(name, type, value);
    if (!row) throw new ApplianceError('not-found', `no DNS record ${name} ${type} ${value}`);
    this.db.query('DELETE FROM dns_records WHERE id = ?').run(row.id);
    return toRecord(row);
  }
}
