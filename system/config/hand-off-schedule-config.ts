import { ConfigError } from '../errors/index.ts';
import { cronSchedule, str, table, type Field } from './fields.ts';

/**
 * One `[[control.hand_off_schedule]]` entry (issue 19): at every start the cron expression
 * matches, new traffic is handed to a peer for `durationSeconds`, then taken back.
 */
export interface HandOffWindowConfig {
  /** node-cron expression (5 fields, or 6 with seconds first) of the window's starts. */
  readonly schedule: string;
  /** How long each window lasts, seconds. */
  readonly durationSeconds: number;
  /** The peer to hand off to (a `[[peers]]` name); absent: the least loaded one that accepts. */
  readonly peer?: string;
}

/** The longest window: a maintenance window of a day at most (a restart inside it looks back this far). */
export const MAX_WINDOW_SECONDS = 86_400;

const UNITS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** `"90s"`, `"15m"`, `"2h"`, `"1h30m"`: a duration of 1 s up to 24 h, in seconds. */
export const duration: Field<number> = (v, key) => {
  const text = str()(v, key);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') throw new ConfigError(key, `${JSON.stringify(v)} is not a duration (e.g. "90s", "15m", "2h", "1h30m")`);
  const seconds = Number(m[1] ?? 0) * UNITS.h + Number(m[2] ?? 0) * UNITS.m + Number(m[3] ?? 0) * UNITS.s;
  if (seconds < 1 || seconds > MAX_WINDOW_SECONDS) throw new ConfigError(key, `${JSON.stringify(v)} is not between 1 s and 24 h`);
  return seconds;
};

/** Absent (TOML has no null): the key was not written. */
const ABSENT = null;

/**
 * Validates `[[control.hand_off_schedule]]` (each key named in the error: e.g.
 * `control.hand_off_schedule[0].duration`); `peerNames` are the configured `[[peers]]`.
 */
export function parseHandOffSchedule(raw: unknown, peerNames: readonly string[]): HandOffWindowConfig[] {
  const key = 'control.hand_off_schedule';
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError(key, 'expected a list of tables ([[control.hand_off_schedule]])');
  const out = raw.map((entry, i): HandOffWindowConfig => {
    const at = `${key}[${i}]`;
    const e = table(entry, at, { schedule: cronSchedule, duration, peer: (v, k) => (v === ABSENT ? undefined : str()(v, k)) }, { peer: ABSENT });
    if (e.peer !== undefined && !peerNames.includes(e.peer)) throw new ConfigError(`${at}.peer`, `"${e.peer}" is not one of the [[peers]] (${peerNames.join(', ') || 'none configured'})`);
    return { schedule: e.schedule, durationSeconds: e.duration, ...(e.peer !== undefined ? { peer: e.peer } : {}) };
  });
  if (out.length > 0 && peerNames.length === 0) throw new ConfigError(key, 'needs at least one [[peers]] entry to hand traffic to');
  return out;
}
