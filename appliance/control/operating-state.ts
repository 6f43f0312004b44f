import type { HostSample } from '../../system/sensors/host-sample.ts';

/** What one connection control section (worker) reports each sampling period. */
export interface WorkerReport {
  readonly workerId: number;
  readonly pid: number;
  /** 'running' takes new work; 'draining' finishes open transactions, then exits. */
  readonly state: 'starting' | 'running' | 'draining';
  /**
   * CPU share: the worker process's CPU time (user + system) over wall time in the last period,
   * 0..1 (worker-reporter.ts). Not Bun's event-loop utilisation, which reads zeros in Bun 1.4.
   */
  readonly cpuShare: number;
  /** Requests per second by method over the last period. */
  readonly requestsPerSecond: Readonly<Record<string, number>>;
  /** New dialog-creating requests (INVITE) per second. */
  readonly callsPerSecond: number;
  readonly openTransactions: number;
  /** Replies sent by class over the last period. */
  readonly replies: Readonly<Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx', number>>;
  /** Requests refused with 503 by load shedding over the last period. */
  readonly shed: number;
  /** Requests refused with 503 since the worker started (a worker too busy to report in time loses no count). */
  readonly shedTotal?: number;
  /** The share of new work the worker admits by its own judgement now, 0..1 (appliance/sip/pipeline/worker-load.ts). */
  readonly admitShare?: number;
  /** Its event-loop lag at the last tick, ms. */
  readonly lagMs?: number;
  /** Bytes waiting in the kernel's receive buffers of its UDP sockets at the last tick (sip/transport/receive-queue.ts). */
  readonly queuedBytes?: number;
  /** Datagrams of hot flows it handed to sibling workers, and took from them, since start (sip/pipeline/flow-spreader.ts). */
  readonly spreadOut?: number;
  readonly spreadIn?: number;
  readonly errors: number;
  readonly rssBytes: number;
  /** It registers the trunks (slot 0, appliance/trunks/): scale-in never drains it. */
  readonly registersTrunks?: boolean;
}

/** One sample of the operating state: host plus every worker, with a time stamp. */
export interface OperatingState {
  readonly ts: number;
  readonly host: HostSample;
  readonly workers: readonly WorkerReport[];
  /** Calls in progress across every worker (the control section's calls view). */
  readonly activeCalls: number;
}

/** The hottest CPU reading of a host sample, °C (null: no sensor). */
export function hottestCpu(t: { cpu: number | null; cpuMax: number | null } | undefined): number | null {
  const readings = [t?.cpu, t?.cpuMax].filter((x): x is number => typeof x === 'number');
  return readings.length === 0 ? null : Math.max(...readings);
}
