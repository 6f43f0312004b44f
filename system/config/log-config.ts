import { int, table } from './fields.ts';

/** `[log]`: bounds on the event log (docs/SECURITY.md). */
export interface LogConfig {
  /** Events older than this many days are pruned. */
  readonly retentionDays: number;
  /** At most this many events are kept (the newest). */
  readonly maxEvents: number;
  /** Events one process writes per kind per second; the excess is summarised in one row. */
  readonly ratePerKind: number;
}

export const LOG_DEFAULTS = { retention_days: 30, max_events: 100_000, rate_per_kind: 20 };

/** Validates the `[log]` table (absent keys take the defaults). */
export function parseLogConfig(raw: unknown): LogConfig {
  const log = table(raw, 'log', {
    retention_days: int(1, 3650), max_events: int(1000, 100_000_000), rate_per_kind: int(1, 100_000),
  }, LOG_DEFAULTS);
  return { retentionDays: log.retention_days, maxEvents: log.max_events, ratePerKind: log.rate_per_kind };
}
