import type { AdmissionRates } from '../../sip/pipeline/admission-control.ts';
import type { Assessment, OverloadCause } from './assess.ts';

/**
 * The numbers behind a decision, written to the event log next to the operating state.
 * `matched` of `window` is the K of W that fired (for hand-off and take-back: samples counted
 * of samples required).
 */
export interface Evidence {
  readonly matched: number;
  readonly window: number;
  /** Latest sample: mean CPU share of running workers, host CPU %, hottest CPU reading (°C). */
  readonly cpuShare: number | null;
  readonly hostCpuPercent: number | null;
  readonly cpuTemperature: number | null;
  readonly overload: OverloadCause | null;
  readonly running: number;
  readonly starting: number;
  readonly draining: number;
}

/** Fields every action carries: a human sentence and the numbers that caused it. */
interface Because {
  readonly reason: string;
  readonly evidence: Evidence;
}

/** Spawn one more connection control section; `workers` is the serving count aimed for. */
export interface ScaleOut extends Because { readonly kind: 'scale-out'; readonly workers: number }
/** Drain this worker: it stops taking new transactions, finishes open ones, then exits. */
export interface ScaleIn extends Because { readonly kind: 'scale-in'; readonly workerId: number }
/**
 * Shedding on, or its rates changed: per worker, new dialogs (INVITE) and REGISTERs beyond these
 * rates get 503 with this Retry-After (RFC 3261 §21.5.4, §20.33); in-dialog requests never do.
 * `admitFraction` is the share of the entry throughput admitted (the controller's level).
 */
export interface Shed extends Because {
  readonly kind: 'shed';
  /** What each worker admits: sent to the workers as it is (ipc-protocol.ts `admission`). */
  readonly rates: AdmissionRates;
  readonly admitFraction: number;
}
/** Shedding off: admit everything. */
export interface StopShedding extends Because { readonly kind: 'stop-shedding' }
/** Instruct a peer to take new traffic; `peers` are the candidates in order of preference. */
export interface HandOff extends Because { readonly kind: 'hand-off'; readonly peers: readonly string[] }
/** Take new traffic back from the peer. */
export interface TakeBack extends Because { readonly kind: 'take-back' }

/** What the policy asks the control section to do; the caller applies it and logs it. */
export type Action = ScaleOut | ScaleIn | Shed | StopShedding | HandOff | TakeBack;

/** Evidence from the latest sample and the K of W that fired. */
export function evidence(latest: Assessment, matched: number, window: number): Evidence {
  return {
    matched, window,
    cpuShare: latest.cpuShare, hostCpuPercent: latest.hostCpuPercent, cpuTemperature: latest.cpuTemperature,
    overload: latest.overload, running: latest.running, starting: latest.starting, draining: latest.draining,
  };
}

/** Formats a ratio for reasons (two decimals, no trailing noise). */
export function fmt(x: number | null): string {
  return x === null ? 'n/a' : String(Math.round(x * 100) / 100);
}
