import type { Database } from 'bun:sqlite';
import type { EventKind } from '../log/event-kinds.ts';

/** One entry of the event log. */
export interface EventRecord {
  readonly id: number;
  readonly ts: number;
  readonly kind: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** How much the event log may grow: a rate per kind on the append path, and retention. */
export interface EventLogLimits {
  /** Rows one process writes per kind per second; the excess is counted and summarised in one row. */
  readonly ratePerKind: number;
}

/** What `prune` keeps. */
export interface EventRetention {
  /** Rows older than this many days go. */
  readonly retentionDays: number;
  /** At most this many rows are kept (the newest). */
  readonly maxEvents: number;
}

/** Default rate: enough for every real burst (a scale-out, an admin's script), not for a flood. */
export const DEFAULT_EVENT_RATE_PER_KIND = 20;
const WINDOW_MS = 1000;
/** Rows deleted per statement, so a large prune never holds the write lock for long. */
const PRUNE_BATCH = 5000;

interface KindWindow {
  start: number;
  written: number;
  suppressed: number;
  firstSuppressed: number;
}

/**
 * Append-only event log: decisions, failures and admin actions, with what caused them.
 *
 * Unauthenticated traffic can cause events (a malformed SIP message, a failed login), so the
 * append path is rate-limited per kind (issue 10 finding 7): at most `ratePerKind` rows per
 * kind per second from this process; beyond that appends are only counted, and when that
 * kind's second is over one row says how many were suppressed ("… 1234 more suppressed").
 * Pending summaries are written by the next append of any kind after the window, by `flush()`
 * and on close. `prune` keeps the table within age and count bounds (run on a schedule).
 */
export class EventsStore {
  private readonly insert;
  private readonly windows = new Map<EventKind, KindWindow>();
  private pending = 0;
  private readonly ratePerKind: number;
  /**
   * Told of every row written (events and suppression summaries, not the suppressed ones): the
   * process's logger writes each event as its log line (system/log/logger.ts), so an event is
   * stored and logged from this one call.
   */
  onAppend?: (kind: EventKind, message: string, details: Record<string, unknown>, ts: number) => void;

  constructor(private readonly db: Database, limits: Partial<EventLogLimits> = {}, private readonly clock: () => number = Date.now) {
    this.insert = db.query('INSERT INTO events (ts, kind, message, details) VALUES (?, ?, ?, ?)');
    this.ratePerKind = limits.ratePerKind ?? DEFAULT_EVENT_RATE_PER_KIND;
  }

  /** Appends one row, unless this kind has used up its rate in the current second (then it is counted). */
  append(kind: EventKind, message: string, details: Record<string, unknown> = {}, ts = Date.now()): void {
    const now = this.clock();
    if (this.pending > 0) this.flush(now);
    let w = this.windows.get(kind);
    if (!w || now - w.start >= WINDOW_MS) {
      if (w?.suppressed) this.summarise(kind, w, now);
      w = { start: now, written: 0, suppressed: 0, firstSuppressed: 0 };
      this.windows.set(kind, w);
    }
    if (w.written >= this.ratePerKind) {
      if (w.suppressed++ === 0) {
        w.firstSuppressed = now;
        this.pending++;
      }
      return;
    }
    w.written++;
    this.insert.run(ts, kind, message, JSON.stringify(details));
    this.onAppend?.(kind, message, details, ts);
  }

  /** Writes the summary row of every kind whose window is over (all of them with `force`). */
  flush(now = this.clock(), force = false): void {
    if (this.pending === 0) return;
    for (const [kind, w] of this.windows) {
      if (w.suppressed > 0 && (force || now - w.start >= WINDOW_MS)) {
        this.summarise(kind, w, now);
        this.windows.delete(kind);
      }
    }
  }

  private summarise(kind: EventKind, w: KindWindow, now: number): void {
    this.pending--;
    const message = `… ${w.suppressed} more "${kind}" events suppressed (over ${this.ratePerKind} per second)`;
    const details = { suppressed: w.suppressed, from: w.firstSuppressed, until: Math.min(now, w.start + WINDOW_MS) };
    this.insert.run(now, kind, message, JSON.stringify(details));
    this.onAppend?.(kind, message, details, now);
    w.suppressed = 0;
  }

  /**
   * Deletes rows older than `retentionDays` and then the oldest beyond `maxEvents`, in batches;
   * returns how many rows went.
   */
  prune(retention: EventRetention, now = Date.now()): number {
    const byAge = this.db.query('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY id LIMIT ?)');
    let removed = inBatches((n) => byAge.run(now - retention.retentionDays * 86_400_000, n).changes);
    // The id of the newest row that is one too many: it and everything older go.
    const edge = this.db.query<{ id: number }, [number]>('SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?').get(retention.maxEvents);
    if (edge) {
      const byCount = this.db.query('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? ORDER BY id LIMIT ?)');
      removed += inBatches((n) => byCount.run(edge.id, n).changes);
    }
    return removed;
  }

  /** Rows in the log. */
  count(): number {
    return this.db.query<{ n: number }, []>('SELECT count(*) AS n FROM events').get()!.n;
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

/** Runs a delete of at most `PRUNE_BATCH` rows until one deletes fewer; returns the total. */
function inBatches(deleteSome: (limit: number) => number): number {
  let total = 0;
  for (;;) {
    const n = deleteSome(PRUNE_BATCH);
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}
