import { ConfigError } from '../errors/index.ts';
import { LEVELS, type Level } from '../log/log-record.ts';
import type { LogSettings } from '../log/logger.ts';
import { int, oneOf, table, type Field } from './fields.ts';

/**
 * Areas a level can be set for (`[log.areas]`): the first segment of the event kinds and
 * status lines (docs/LOGGING.md). Any other name is refused, so a typo does not pass silently.
 */
export const LOG_AREAS = ['admin', 'appliance', 'control', 'dns', 'peer', 'sip', 'trunk', 'web'] as const;

/** `[log]`: the log lines (format, levels) and the bounds of the event log (docs/SECURITY.md). */
export interface LogConfig extends LogSettings {
  /** Events older than this many days are pruned. */
  readonly retentionDays: number;
  /** At most this many events are kept (the newest). */
  readonly maxEvents: number;
  /** Events one process writes per kind per second; the excess is summarised in one row. */
  readonly ratePerKind: number;
}

export const LOG_DEFAULTS = { retention_days: 30, max_events: 100_000, rate_per_kind: 20, format: 'text', level: 'info', areas: {} };

const level = oneOf<Level>(...LEVELS);

const areas: Field<Record<string, Level>> = (v, key) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(key, `expected a table of area = "level", got ${JSON.stringify(v)}`);
  const out: Record<string, Level> = {};
  for (const [area, l] of Object.entries(v)) {
    if (!(LOG_AREAS as readonly string[]).includes(area)) throw new ConfigError(`${key}.${area}`, `unknown area (one of ${LOG_AREAS.join(', ')})`);
    out[area] = level(l, `${key}.${area}`);
  }
  return out;
};

/** Validates the `[log]` table (absent keys take the defaults). */
export function parseLogConfig(raw: unknown): LogConfig {
  const log = table(raw, 'log', {
    retention_days: int(1, 3650), max_events: int(1000, 100_000_000), rate_per_kind: int(1, 100_000),
    format: oneOf('text', 'json'), level, areas,
  }, LOG_DEFAULTS);
  return {
    retentionDays: log.retention_days, maxEvents: log.max_events, ratePerKind: log.rate_per_kind,
    format: log.format, level: log.level, areas: log.areas,
  };
}
