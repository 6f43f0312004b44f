import type { Database } from 'bun:sqlite';

/** One entry of the event log. */
export interface EventRecord {
  readonly id: number;
  readonly ts: number;
  readonly kind: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** Append-only event log: decisions, failures and admin actions, with what caused them. */
export class EventsStore {
  private readonly insert;
  constructor(private readonly db: Database) {
    this.insert = db.query('INSERT INTO events (ts, kind, message, details) VALUES (?, ?, ?, ?)');
  }

  append(kind: string, message: string, details: Record<string, unknown> = {}, ts = Date.now()): void {
    this.insert.run(ts, kind, message, JSON.stringify(details));
  }

  /** Newest first; optional filter by kind prefix (e.g. "sip." or "control.scale"). */
  recent(limit = 100, kindPrefix = ''): EventRecord[] {
    return this.db
      .query<{ id: number; ts: number; kind: string; message: string; details: string }, [string, number]>(
        "SELECT * FROM events WHERE substr(kind, 1, length(?1)) = ?1 ORDER BY id DESC LIMIT ?2",
      )
      .all(kindPrefix, limit)
      .map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
