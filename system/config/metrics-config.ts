import { cidr, list, table } from './fields.ts';
import type { Cidr } from './cidr.ts';

/** `[metrics]`: the Prometheus endpoint `/metrics` on the web listener (docs/METRICS.md). */
export interface MetricsConfig {
  /**
   * Sources allowed to scrape (CIDRs); anyone else gets 403. Not behind the admin login (a
   * scraper has no session), so the default is loopback only; an empty list refuses everyone.
   */
  readonly allow: readonly Cidr[];
}

export const METRICS_DEFAULTS = { allow: ['127.0.0.1/32', '::1/128'] };

/** Validates the `[metrics]` table (absent keys take the defaults). */
export function parseMetricsConfig(raw: unknown): MetricsConfig {
  const m = table(raw, 'metrics', { allow: list(cidr) }, METRICS_DEFAULTS);
  return { allow: m.allow };
}
