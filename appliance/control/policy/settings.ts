import type { PolicyOverrides } from '../../../system/config/index.ts';

/**
 * Settings of the control section's overload policy (DESIGN.md "Overload ladder"). Each field
 * maps to a `[control]` key in the TOML by snake case: `scaleOutCpuShare` ↔ `scale_out_cpu_share`,
 * `minWorkers` ↔ `min_workers`. Windows and counts are in samples (the sampler runs every 2 s by
 * default), cool-downs in seconds, rates per worker per second.
 */
export interface PolicySettings {
  /** Never fewer running workers than this (at least 1). */
  readonly minWorkers: number;
  /** Never more running + starting workers than this (default: the core count). */
  readonly maxWorkers: number;

  /** A sample is overloaded when the mean CPU share of the running workers reaches this. */
  readonly scaleOutCpuShare: number;
  /** Scale out (or shed) when `scaleOutSamples` of the last `scaleOutWindow` samples are overloaded. */
  readonly scaleOutSamples: number;
  readonly scaleOutWindow: number;
  /** No scale-out sooner than this after any scaling action. */
  readonly scaleOutCooldownSeconds: number;

  /** A sample is low when the mean CPU share of the running workers is at or below this. */
  readonly scaleInCpuShare: number;
  /** Scale in when `scaleInSamples` of the last `scaleInWindow` samples are low. */
  readonly scaleInSamples: number;
  readonly scaleInWindow: number;
  /** No scale-in sooner than this after any scaling action. */
  readonly scaleInCooldownSeconds: number;

  /**
   * Host CPU at or above this percent is overload when our workers are busy too (mean CPU share at
   * least `hostCpuCpuShare`): the cores are used up, so a new worker would only time-slice with the
   * others. Host CPU alone (a backup job, say) is not ours to fix.
   */
  readonly hostCpuPercent: number;
  readonly hostCpuCpuShare: number;
  /** CPU temperature (°C) at or above this is overload; an unavailable sensor never counts. */
  readonly criticalCpuTemperature: number;

  /** Shedding admits the rate that keeps the mean CPU share near this (below `scaleOutCpuShare`). */
  readonly shedTargetCpuShare: number;
  /** Every tightening cuts the admitted rate by at least this fraction (e.g. 0.1 = 10 %). */
  readonly shedMinCut: number;
  /** Relax shedding when `shedRelaxSamples` of the last `shedRelaxWindow` samples are under this CPU share. */
  readonly shedRelaxCpuShare: number;
  readonly shedRelaxSamples: number;
  readonly shedRelaxWindow: number;
  /** Each relaxation adds this fraction of the entry throughput to the admitted rate. */
  readonly shedRelaxStep: number;
  /** Admitted rates never go below these (per worker), so the measurement keeps working. */
  readonly shedMinCallsPerSecond: number;
  readonly shedMinRegistersPerSecond: number;
  /** Retry-After (RFC 3261 §20.33) when admitting the entry throughput; grows as the cut deepens. */
  readonly shedRetryAfterSeconds: number;
  readonly shedMaxRetryAfterSeconds: number;

  /** Hand off to a peer after this many samples of shedding (only when `peers` is not empty). */
  readonly handOffAfterSamples: number;
  /** After an attempt no peer accepted (refused or unreachable), wait this long before the next. */
  readonly handOffRetrySeconds: number;
  /** Take traffic back after this many consecutive healthy samples without shedding. */
  readonly takeBackAfterSamples: number;
  /** Names of the peer appliances (`[[peers]] name`), in order of preference. */
  readonly peers: readonly string[];
}

/** The settings a `[control]` key tunes: all but the worker bounds (their own keys) and the peers (`[[peers]]`). */
type Tunable = Exclude<keyof PolicySettings, 'minWorkers' | 'maxWorkers' | 'peers'>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * Compile-time check (issue 13 item 10): every tunable setting has its `[control]` key in
 * system/config's POLICY_KEYS and every key names a setting; a new setting does not compile
 * until its key (with its range) is there.
 */
export const EVERY_SETTING_CONFIGURABLE: Same<Tunable, keyof PolicyOverrides> = true;

/**
 * Defaults for a box with `cores` CPU cores: one worker per core at most (a worker is one
 * thread), 3 of 5 samples to react to overload within ~10 s, 10 of 12 to retire a worker only
 * after ~24 s of low load, cool-downs at least as long as a window so every decision sees the
 * effect of the previous one.
 */
export function defaultPolicySettings(cores: number): PolicySettings {
  return {
    minWorkers: 1,
    maxWorkers: Math.max(1, Math.floor(cores)),
    scaleOutCpuShare: 0.75,
    scaleOutSamples: 3,
    scaleOutWindow: 5,
    scaleOutCooldownSeconds: 10,
    scaleInCpuShare: 0.25,
    scaleInSamples: 10,
    scaleInWindow: 12,
    scaleInCooldownSeconds: 60,
    hostCpuPercent: 90,
    hostCpuCpuShare: 0.5,
    criticalCpuTemperature: 90,
    shedTargetCpuShare: 0.7,
    shedMinCut: 0.1,
    shedRelaxCpuShare: 0.6,
    shedRelaxSamples: 3,
    shedRelaxWindow: 5,
    shedRelaxStep: 0.1,
    shedMinCallsPerSecond: 1,
    shedMinRegistersPerSecond: 2,
    shedRetryAfterSeconds: 10,
    shedMaxRetryAfterSeconds: 120,
    handOffAfterSamples: 15,
    // A refusing peer is itself busy or handed off: ask again after a shedding window or so.
    handOffRetrySeconds: 30,
    takeBackAfterSamples: 60,
    peers: [],
  };
}
