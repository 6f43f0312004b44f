/**
 * One log line's content and its two written forms (`[log] format`): text for a terminal and
 * journald, JSON (one object per line) for a log shipper. Pure.
 */

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

/** Ordering of the levels: a line is written when its rank is at least the area's threshold. */
export const LEVEL_RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  /** Epoch ms. */
  readonly ts: number;
  readonly level: Level;
  /** Dotted event kind (`sip.auth.failed`); its first segment is the area (`sip`). */
  readonly kind: string;
  readonly message: string;
  /** The process it comes from: `worker` = id of a connection control section, absent for the control section. */
  readonly worker?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The area of a kind: its first dotted segment. */
export function areaOf(kind: string): string {
  const dot = kind.indexOf('.');
  return dot < 0 ? kind : kind.slice(0, dot);
}

/**
 * Detail keys whose values are never written (defence in depth: no caller should pass them):
 * passwords, passphrases, secrets, tokens, SIP Authorization headers, digest HA1 hashes.
 */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|authori[sz]ation|credential|ha1|private.?key/i;
export const REDACTED = '[redacted]';

/** `details` with the value of every secret-looking key (at any depth) replaced by `[redacted]`. */
export function redact(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEY.test(k)) out[k] = REDACTED;
    else if (isPlainObject(v)) out[k] = redact(v);
    else out[k] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** One JSON object: ts (ISO 8601), level, area, kind, worker (if any), msg, details (if any). */
export function jsonLine(r: LogRecord): string {
  const details = r.details && Object.keys(r.details).length > 0 ? redact(r.details) : undefined;
  return JSON.stringify({
    ts: new Date(r.ts).toISOString(), level: r.level, area: areaOf(r.kind), kind: r.kind,
    ...(r.worker !== undefined ? { worker: r.worker } : {}), msg: r.message, ...(details ? { details } : {}),
  }, safeValue);
}

/**
 * `2026-12-02T18:40:00.123Z INFO  [cc 2] sip.ban: banned 192.0.2.7 for 600 s address="192.0.2.7"`:
 * one line whatever the message holds (line breaks escaped, so a caller's text cannot forge a
 * second line).
 */
export function textLine(r: LogRecord): string {
  const details = r.details && Object.keys(r.details).length > 0 ? redact(r.details) : undefined;
  const pairs = details ? Object.entries(details).map(([k, v]) => ` ${k}=${JSON.stringify(v, safeValue) ?? 'undefined'}`).join('') : '';
  const who = r.worker !== undefined ? `[cc ${r.worker}] ` : '';
  return `${new Date(r.ts).toISOString()} ${r.level.toUpperCase().padEnd(5)} ${who}${r.kind}: ${oneLine(r.message)}${pairs}`;
}

function oneLine(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** JSON.stringify replacer: bigints as strings, errors as their message (neither throws nor drops). */
function safeValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return v.message;
  return v;
}
