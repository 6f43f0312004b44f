import { ConfigError } from '../errors/index.ts';
import { bool, int, list, str, table } from './fields.ts';
import { emergencyTrunk, type TrunkConfig } from './trunk-config.ts';

/**
 * `[emergency]`: numbers that are never shed, refused for load nor handed off (issue 12; the
 * emergency route itself, `trunk`, comes with the trunks, issue 14).
 */
export interface EmergencyConfig {
  readonly numbers: readonly string[];
  /** The trunk emergency calls always leave by (system/config/trunk-config.ts); undefined without trunks. */
  readonly trunk: string | undefined;
}

/** `[overload]`: how one connection control section judges itself (appliance/sip/pipeline/worker-load.ts). */
export interface OverloadConfig {
  /** Event-loop lag (ms) from which a worker is saturated and sheds new work at once. */
  readonly shedLagMs: number;
  /** Lag (ms) below which it admits more again. */
  readonly calmLagMs: number;
  /** Share of `[security] max_transactions` open from which a worker is saturated (percent). */
  readonly shedOpenPercent: number;
  /** Retry-After (s) in the 503s a saturated worker sends (RFC 3261 §21.5.4, §20.33). */
  readonly retryAfter: number;
  /** New INVITEs and REGISTERs per second below which lag alone never sheds (a lag spike without load is not overload). */
  readonly minRate: number;
  /**
   * Bytes waiting in the kernel's receive buffers of a worker's UDP sockets from which it is
   * saturated (`shed_queue_kb`; 0: not judged). 128 KB: with bench/faults' single flow
   * (3,000 calls/s), 256 KB still let 180 BYEs wait past T1; 128 KB none (docs/SIP.md "Overload").
   */
  readonly shedQueueBytes: number;
  /**
   * A saturated worker hands the new work it would refuse to a calm sibling worker instead
   * (appliance/sip/pipeline/flow-spreader.ts): one hot flow, pinned by the kernel's reuseport
   * hash to one worker, then uses every worker before anything is refused.
   */
  readonly spread: boolean;
}

const EMERGENCY_DEFAULTS = { numbers: ['911', '112'] };
const OVERLOAD_DEFAULTS = { shed_lag_ms: 100, calm_lag_ms: 20, shed_open_percent: 80, retry_after: 5, min_rate: 100, shed_queue_kb: 128, spread: true };

/** Validates `[emergency]` (absent keys take the defaults); `trunk` must name one of `trunks`. */
export function parseEmergencyConfig(raw: unknown, trunks: readonly TrunkConfig[] = []): EmergencyConfig {
  const e = table(raw, 'emergency', {
    numbers: list(str({ pattern: /^[0-9*#+]{1,15}$/, hint: 'a dialled number such as 911 or 112' }), { nonEmpty: true }),
    trunk: (v, key) => (v === null ? undefined : str()(v, key)),
  }, { ...EMERGENCY_DEFAULTS, trunk: null });
  return { numbers: [...new Set(e.numbers)], trunk: emergencyTrunk(e.trunk, trunks) };
}

/** Validates `[overload]` (absent keys take the defaults). */
export function parseOverloadConfig(raw: unknown): OverloadConfig {
  const o = table(raw, 'overload', {
    shed_lag_ms: int(5, 10_000), calm_lag_ms: int(1, 10_000), shed_open_percent: int(1, 100), retry_after: int(1, 3600), min_rate: int(0, 1_000_000), shed_queue_kb: int(0, 65_536), spread: bool,
  }, OVERLOAD_DEFAULTS);
  if (o.calm_lag_ms >= o.shed_lag_ms) throw new ConfigError('overload.calm_lag_ms', 'must be below overload.shed_lag_ms');
  return { shedLagMs: o.shed_lag_ms, calmLagMs: o.calm_lag_ms, shedOpenPercent: o.shed_open_percent, retryAfter: o.retry_after, minRate: o.min_rate, shedQueueBytes: o.shed_queue_kb * 1024, spread: o.spread };
}
