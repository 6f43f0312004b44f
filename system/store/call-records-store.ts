import type { Database } from 'bun:sqlite';

/** Which way a call went, from the domains of its From and Request-URI (issue 14). */
export type CallDirection = 'internal' | 'outbound' | 'inbound' | 'emergency';

/** One call detail record: a call from its INVITE to its end, answered or not. */
export interface CallRecord {
  readonly id: number;
  readonly callId: string;
  /** The caller's From tag: with the Call-ID it names the call (RFC 3261 §12, before any To tag). */
  readonly fromTag: string;
  /** The To tag of the answer, once answered (the dialog's other half). */
  readonly toTag: string | null;
  readonly from: string;
  /** What was dialled (the To URI). */
  readonly to: string;
  /** Where it was routed, when that differs (a trunk's rewritten number). */
  readonly routedTo: string | null;
  readonly direction: CallDirection;
  readonly trunk: string | null;
  /** The extension whose forward sent the call over the trunk (issue 15); its outside call. */
  readonly forwardedBy: string | null;
  /** Epoch ms: INVITE received, answered (2xx), ended (BYE, session expiry, or the final error). */
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number | null;
  /** The final response to the INVITE (200 when answered). */
  readonly result: number | null;
  /** How it ended: "BYE", "BYE answered 481", "486 Busy Here", "session expired (RFC 4028)". */
  readonly reason: string | null;
  /** The connection control section that forwarded the answer or the final error. */
  readonly worker: number | null;
}

/** What opens a record. */
export type NewCallRecord = Omit<CallRecord, 'id' | 'toTag' | 'endedAt' | 'reason' | 'answeredAt' | 'forwardedBy'> & Partial<Pick<CallRecord, 'toTag' | 'endedAt' | 'reason' | 'answeredAt' | 'forwardedBy'>>;

/** Filters of a listing; every field optional. */
export interface CallRecordQuery {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  /** Calls from or to this extension (the user part of From or To). */
  readonly extension?: string;
  readonly direction?: CallDirection;
  readonly limit?: number;
}

const COLUMNS = `id, call_id AS callId, from_tag AS fromTag, to_tag AS toTag, from_uri AS "from", to_uri AS "to",
  routed_to AS routedTo, direction, trunk, forwarded_by AS forwardedBy, started_at AS startedAt, answered_at AS answeredAt, ended_at AS endedAt,
  result, reason, worker`;

/**
 * Call detail records (issue 14): one row per call, kept across restarts for
 * `[call_records] retention_days`. Written by the control section from the dialog events of
 * every worker; read by the web UI, the API (JSON and CSV) and the CLI.
 */
export class CallRecordsStore {
  constructor(private readonly db: Database) {}

  /** Opens (or, for the same Call-ID and From tag, completes) a record; returns its id. */
  open(r: NewCallRecord): number {
    const row = this.db.query<{ id: number }, (string | number | null)[]>(`INSERT INTO call_records
      (call_id, from_tag, to_tag, from_uri, to_uri, routed_to, direction, trunk, started_at, answered_at, ended_at, result, reason, worker, forwarded_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (call_id, from_tag) DO UPDATE SET
        to_tag = COALESCE(call_records.to_tag, excluded.to_tag),
        answered_at = COALESCE(call_records.answered_at, excluded.answered_at),
        ended_at = COALESCE(call_records.ended_at, excluded.ended_at),
        result = COALESCE(call_records.result, excluded.result),
        reason = COALESCE(call_records.reason, excluded.reason)
      RETURNING id`).get(
      r.callId, r.fromTag, r.toTag ?? null, r.from.slice(0, 300), r.to.slice(0, 300), r.routedTo?.slice(0, 300) ?? null, r.direction, r.trunk,
      r.startedAt, r.answeredAt ?? null, r.endedAt ?? null, r.result, r.reason?.slice(0, 200) ?? null, r.worker, r.forwardedBy ?? null);
    return row!.id;
  }

  /**
   * Ends the answered call of this dialog (either tag may be the caller's: a BYE can come from
   * either side); false when no open record matches.
   */
  end(callId: string, tags: readonly [string, string], endedAt: number, reason: string): boolean {
    const [a, b] = tags;
    return this.db.query(`UPDATE call_records SET ended_at = ?, reason = ?
      WHERE call_id = ? AND ended_at IS NULL AND ((from_tag = ? AND to_tag = ?) OR (from_tag = ? AND to_tag = ?))`)
      .run(endedAt, reason.slice(0, 200), callId, a, b, b, a).changes > 0;
  }

  /** Records newest first, filtered. */
  list(q: CallRecordQuery = {}): CallRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (q.since !== undefined) add('started_at >= ?', q.since);
    if (q.until !== undefined) add('started_at < ?', q.until);
    if (q.direction) add('direction = ?', q.direction);
    if (q.extension) {
      // The user part of a SIP URI: after "sip:" or "sips:", up to "@" (RFC 3261 §19.1.1).
      const e = q.extension.replace(/[\\%_]/g, (c) => `\\${c}`);
      const like = "LIKE ? ESCAPE '\\'";
      add(`(from_uri ${like} OR from_uri ${like} OR to_uri ${like} OR to_uri ${like})`, `%sip:${e}@%`, `%sips:${e}@%`, `%sip:${e}@%`, `%sips:${e}@%`);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 100_000));
    return this.db.query<CallRecord, (string | number)[]>(
      `SELECT ${COLUMNS} FROM call_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ${limit}`).all(...args);
  }

  /**
   * An extension's outside calls (over a trunk, emergency calls aside): established now, and
   * started since `since` (the limits of issue 14's toll-fraud policy). A call one of its
   * forwards sent outside is its own (issue 15), not the caller's.
   */
  outsideCalls(extension: string, since: number): { open: number; started: number } {
    const e = extension.replace(/[\\%_]/g, (c) => `\\${c}`);
    const row = this.db.query<{ open: number | null; started: number | null }, [number, string, string, string]>(`SELECT
        SUM(answered_at IS NOT NULL AND ended_at IS NULL) AS open, SUM(started_at >= ?) AS started
      FROM call_records WHERE trunk IS NOT NULL AND direction = 'outbound'
        AND (forwarded_by = ? OR (forwarded_by IS NULL AND (from_uri LIKE ? ESCAPE '\\' OR from_uri LIKE ? ESCAPE '\\')))`).get(since, extension, `%sip:${e}@%`, `%sips:${e}@%`);
    return { open: row?.open ?? 0, started: row?.started ?? 0 };
  }

  /** The newest record of a Call-ID (the ladder of a call the calls view no longer holds). */
  byCallId(callId: string): CallRecord | undefined {
    return this.db.query<CallRecord, [string]>(`SELECT ${COLUMNS} FROM call_records WHERE call_id = ? ORDER BY started_at DESC LIMIT 1`).get(callId) ?? undefined;
  }

  /** Drops records that started before `before` (the retention). */
  purgeBefore(before: number): number {
    return this.db.query('DELETE FROM call_records WHERE started_at < ?').run(before).changes;
  }
}
