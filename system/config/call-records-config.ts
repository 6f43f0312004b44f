import { int, table } from './fields.ts';

/** `[call_records]`: call detail records in the store (issue 14). */
export interface CallRecordsConfig {
  /** Records older than this many days are purged (hourly). */
  readonly retentionDays: number;
}

const DEFAULTS = { retention_days: 365 };

/** Validates `[call_records]` (absent keys take the defaults). */
export function parseCallRecordsConfig(raw: unknown): CallRecordsConfig {
  const c = table(raw, 'call_records', { retention_days: int(1, 36_500) }, DEFAULTS);
  return { retentionDays: c.retention_days };
}
