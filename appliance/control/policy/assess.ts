import type { OperatingState } from '../operating-state.ts';
import type { PolicySettings } from './settings.ts';

/**
 * Why a sample counts as overloaded. Only 'cpu-share' can be cured by another worker: with the cores
 * used up ('host-cpu') a new worker time-slices with the others, and with the CPU too hot
 * ('temperature') more parallel work makes it hotter; both go straight to shedding.
 */
export type OverloadCause = 'temperature' | 'host-cpu' | 'cpu-share';

/** One operating-state sample reduced to what the policy decides on. */
export interface Assessment {
  readonly ts: number;
  /** Workers by state; only running ones take new work, so only they count as capacity. */
  readonly running: number;
  readonly starting: number;
  readonly draining: number;
  /** Mean CPU share of the running workers; null when none runs (no CPU share to judge). */
  readonly cpuShare: number | null;
  readonly hostCpuPercent: number | null;
  /** Hottest available CPU reading (°C); null when the sensor is unavailable. */
  readonly cpuTemperature: number | null;
  readonly overload: OverloadCause | null;
  /** Low load: a candidate sample for retiring a worker. */
  readonly low: boolean;
  /** Healthy with margin: a candidate sample for relaxing shedding and taking traffic back. */
  readonly calm: boolean;
  /** Requests refused by shedding during the period, all workers. */
  readonly shed: number;
  /** Mean per running worker over the period. */
  readonly callsPerWorker: number;
  readonly registersPerWorker: number;
}

/** Reduces one sample; the thresholds come from `settings`. */
export function assess(state: OperatingState, settings: PolicySettings): Assessment {
  const running = state.workers.filter((w) => w.state === 'running');
  const n = running.length;
  const mean = (f: (w: (typeof running)[number]) => number) => (n === 0 ? 0 : running.reduce((t, w) => t + f(w), 0) / n);
  const cpuShare = n === 0 ? null : mean((w) => w.cpuShare);
  const { cpu, cpuMax } = state.host.temperatures;
  const readings = [cpu, cpuMax].filter((t): t is number => t !== null);
  const cpuTemperature = readings.length === 0 ? null : Math.max(...readings);
  const hostCpuPercent = state.host.cpuPercent;

  let overload: OverloadCause | null = null;
  if (cpuTemperature !== null && cpuTemperature >= settings.criticalCpuTemperature) overload = 'temperature';
  else if (hostCpuPercent !== null && cpuShare !== null && hostCpuPercent >= settings.hostCpuPercent && cpuShare >= settings.hostCpuCpuShare) overload = 'host-cpu';
  else if (cpuShare !== null && cpuShare >= settings.scaleOutCpuShare) overload = 'cpu-share';

  return {
    ts: state.ts,
    running: n,
    starting: state.workers.filter((w) => w.state === 'starting').length,
    draining: state.workers.filter((w) => w.state === 'draining').length,
    cpuShare,
    hostCpuPercent,
    cpuTemperature,
    overload,
    low: overload === null && cpuShare !== null && cpuShare <= settings.scaleInCpuShare,
    calm: overload === null && cpuShare !== null && cpuShare < settings.shedRelaxCpuShare,
    shed: state.workers.reduce((t, w) => t + w.shed, 0),
    callsPerWorker: mean((w) => w.callsPerSecond),
    registersPerWorker: mean((w) => w.requestsPerSecond.REGISTER ?? 0),
  };
}

/** The samples of a K-of-W window that met a condition, and how many samples the window held. */
export interface WindowMatch {
  readonly matching: readonly Assessment[];
  readonly window: number;
}

/**
 * K of W: the last `window` samples, of which those taken after `after` (epoch ms; null = all)
 * meet `test`. Samples from before the last action describe a worker set or an admitted rate
 * that no longer exists, so they never count toward the next decision.
 */
export function recent(samples: readonly Assessment[], window: number, after: number | null, test: (a: Assessment) => boolean): WindowMatch {
  const last = samples.slice(-window);
  return { matching: last.filter((a) => (after === null || a.ts > after) && test(a)), window: last.length };
}

/** Mean of a field over samples, skipping nulls; null when there is nothing to average. */
export function meanOf(samples: readonly Assessment[], f: (a: Assessment) => number | null): number | null {
  const xs = samples.map(f).filter((x): x is number => x !== null);
  return xs.length === 0 ? null : xs.reduce((t, x) => t + x, 0) / xs.length;
}
