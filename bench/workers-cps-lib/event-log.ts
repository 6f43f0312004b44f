/**
 * The appliance's event log (SQLite `events` table in its data dir), read-only: the control
 * section writes scale-out, worker ready/exit, shedding and scale-in there with timestamps.
 */
import { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the store (system/store/database.ts STORE_FILE; not imported: bench stays outside appliance code). */
const STORE_FILE = 'appliance.sqlite';

export interface LoggedEvent {
  id: number;
  /** Epoch ms (the appliance's Date.now(), same clock as ours). */
  ts: number;
  kind: string;
  message: string;
}

export class EventLog {
  private db?: Database;
  constructor(private readonly dataDir: string) {}

  private open(): Database | undefined {
    if (this.db) return this.db;
    const file = join(this.dataDir, STORE_FILE);
    if (!existsSync(file)) return undefined;
    this.db = new Database(file, { readonly: true });
    return this.db;
  }

  /** `control.*` events with id > `afterId`, oldest first. */
  control(afterId = 0): LoggedEvent[] {
    const db = this.open();
    if (!db) return [];
    return db
      .query<LoggedEvent, [number]>("SELECT id, ts, kind, message FROM events WHERE kind LIKE 'control.%' AND id > ? ORDER BY id")
      .all(afterId);
  }

  /** Polls until `done(events)` holds or `timeoutMs` passes; returns the events seen. */
  async waitFor(done: (events: LoggedEvent[]) => boolean, timeoutMs: number, afterId = 0, everyMs = 250): Promise<{ ok: boolean; events: LoggedEvent[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let events: LoggedEvent[] = [];
      try {
        events = this.control(afterId);
      } catch {
        /* store busy or not created yet: try again */
      }
      if (done(events)) return { ok: true, events };
      if (Date.now() >= deadline) return { ok: false, events };
      await Bun.sleep(everyMs);
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
