import { ValidationError } from '../../system/errors/index.ts';
import type { CallDirection, CallRecord, CallRecordQuery } from '../../system/store/index.ts';

const DIRECTIONS: readonly CallDirection[] = ['internal', 'outbound', 'inbound', 'emergency'];

/** A time filter: an epoch-ms number, a date (`2026-12-02`, local midnight) or an ISO 8601 time. */
function time(text: string, field: string): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00`).getTime() : Date.parse(text);
  if (!Number.isFinite(t)) throw new ValidationError(`${field} must be a date (2026-12-02), an ISO 8601 time or epoch milliseconds`, field);
  return t;
}

/**
 * The filters of a call record listing from named text values (URL query parameters of the
 * API, options of the CLI): `since`, `until`, `extension`, `direction`, `limit`. Bad values are
 * a ValidationError naming the field.
 */
export function callRecordQuery(get: (name: string) => string | undefined, maxLimit = 10_000): CallRecordQuery {
  const q: { -readonly [K in keyof CallRecordQuery]: CallRecordQuery[K] } = {};
  const since = get('since');
  const until = get('until');
  const extension = get('extension');
  const direction = get('direction');
  const limit = get('limit');
  if (since) q.since = time(since, 'since');
  if (until) q.until = time(until, 'until');
  if (extension) {
    if (!/^[0-9A-Za-z*#+._-]{1,32}$/.test(extension)) throw new ValidationError('extension must be an extension number', 'extension');
    q.extension = extension;
  }
  if (direction) {
    if (!DIRECTIONS.includes(direction as CallDirection)) throw new ValidationError(`direction must be one of ${DIRECTIONS.join(', ')}`, 'direction');
    q.direction = direction as CallDirection;
  }
  if (limit) {
    if (!/^\d{1,9}$/.test(limit) || Number(limit) < 1) throw new ValidationError('limit must be a whole number from 1', 'limit');
    q.limit = Math.min(Number(limit), maxLimit);
  }
  return q;
}

const HEADER = ['started', 'answered', 'ended', 'duration_s', 'direction', 'from', 'to', 'routed_to', 'trunk', 'result', 'reason', 'worker', 'call_id', 'forwarded_by'];

/**
 * One CSV cell (RFC 4180 §2: quoted when it holds a comma, quote or line break; quotes
 * doubled). A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe: From and To come from callers (CSV injection, OWASP).
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Call records as CSV, a header line first, CRLF line ends (RFC 4180). */
export function callRecordsCsv(records: readonly CallRecord[]): string {
  const rows = records.map((r) => [
    iso(r.startedAt), iso(r.answeredAt), iso(r.endedAt),
    r.answeredAt !== null && r.endedAt !== null ? Math.round((r.endedAt - r.answeredAt) / 1000) : null,
    r.direction, r.from, r.to, r.routedTo, r.trunk, r.result, r.reason, r.worker, r.callId, r.forwardedBy ?? null,
  ].map(csvCell).join(','));
  return [HEADER.join(','), ...rows].join('\r\n') + '\r\n';
}
