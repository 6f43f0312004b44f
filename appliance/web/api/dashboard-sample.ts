import type { OperatingState } from '../../control/operating-state.ts';

/** One operating-state sample as the dashboard charts it (smaller than the full state). */
export interface DashboardSample {
  readonly ts: number;
  readonly cpuPercent: number | null;
  readonly memoryPercent: number | null;
  /** °C; null = the sensor is unavailable on this hardware (never 0). */
  readonly temperatures: { readonly cpu: number | null; readonly cpuMax: number | null; readonly chipset: number | null };
  readonly diskPercent: number | null;
  readonly callsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly activeCalls: number;
  /** Registrations when the sample arrived; null for samples from before the web server started. */
  readonly registrations: number | null;
  readonly shed: number;
  readonly workers: readonly { readonly id: number; readonly state: string; readonly cpuShare: number; readonly callsPerSecond: number; readonly openTransactions: number }[];
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function dashboardSample(s: OperatingState, registrations: number | null): DashboardSample {
  const mem = s.host.memory;
  const sum = (f: (w: OperatingState['workers'][number]) => number) => round(s.workers.reduce((a, w) => a + f(w), 0));
  return {
    ts: s.ts,
    cpuPercent: s.host.cpuPercent === null ? null : round(s.host.cpuPercent, 1),
    memoryPercent: mem && mem.totalBytes > 0 ? round((100 * (mem.totalBytes - mem.availableBytes)) / mem.totalBytes, 1) : null,
    temperatures: s.host.temperatures,
    diskPercent: s.host.disk ? round(s.host.disk.usePercent, 1) : null,
    callsPerSecond: sum((w) => w.callsPerSecond),
    requestsPerSecond: sum((w) => Object.values(w.requestsPerSecond).reduce((a, b) => a + b, 0)),
    activeCalls: s.activeCalls,
    registrations,
    shed: sum((w) => w.shed),
    workers: s.workers.map((w) => ({ id: w.workerId, state: w.state, cpuShare: round(w.cpuShare, 3), callsPerSecond: round(w.callsPerSecond), openTransactions: w.openTransactions })),
  };
}
