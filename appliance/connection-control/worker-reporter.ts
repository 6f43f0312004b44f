import type { WorkerReport } from '../control/operating-state.ts';
import type { SipService } from '../sip/sip-service.ts';
import type { DnsFunction } from '../dns/index.ts';
import type { WorkerTotals } from '../metrics/worker-totals.ts';

/**
 * Builds a worker's report for each sampling period from its counters. Its CPU share is the
 * process's CPU time over wall time (0..1): Bun 1.4's performance.eventLoopUtilization()
 * returns zeros (measured), and a connection control section does its work on one thread.
 */
export class WorkerReporter {
  private lastAt = performance.now();
  private lastCpu = process.cpuUsage();
  private lastRequests: Record<string, number> = {};
  private lastReplies = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  private lastShed = 0;
  private lastErrors = 0;
  /** The last RSS read, reported again when the host cannot tell (see readRss). */
  private lastRss = 0;

  constructor(private readonly workerId: number, private readonly sip: SipService, private readonly dns?: Pick<DnsFunction, 'counters' | 'stats'>) {}

  /** Everything counted since this worker started (cumulative: the metrics, metrics/worker-totals.ts). */
  totals(): WorkerTotals {
    const c = this.sip.counters;
    const sipReplies: Record<string, number[]> = {};
    for (const [m, v] of Object.entries(c.repliesByMethod)) sipReplies[m] = [...v];
    const dnsAnswers: Record<string, number[]> = {};
    for (const [t, v] of Object.entries(this.dns?.counters.answers ?? {})) dnsAnswers[t] = [...v];
    const empty = { counts: [], sum: 0 };
    return {
      sipRequests: { ...c.requests }, sipReplies,
      shed: this.sip.admission.shed, banned: c.banned, malformed: c.malformed, dropped: c.dropped,
      callSetup: c.callSetup.snapshot(),
      dnsAnswers, dnsDropped: this.dns?.stats.dropped ?? 0, dnsLatency: this.dns?.counters.latency.snapshot() ?? empty,
      spreadOut: this.sip.spreader?.handedOut ?? 0, spreadIn: this.sip.spreader?.handedIn ?? 0,
    };
  }

  report(state: WorkerReport['state']): WorkerReport {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    const cpu = process.cpuUsage(this.lastCpu);
    const snap = this.sip.counters.snapshot();
    const requestsPerSecond: Record<string, number> = {};
    for (const [m, n] of Object.entries(snap.requests)) {
      const d = n - (this.lastRequests[m] ?? 0);
      if (d > 0) requestsPerSecond[m] = round(d / seconds);
    }
    const replies = { ...snap.replies };
    for (const k of Object.keys(replies) as (keyof typeof replies)[]) replies[k] -= this.lastReplies[k];
    const shed = this.sip.admission.shed - this.lastShed;
    const errors = snap.malformed - this.lastErrors;
    const report: WorkerReport = {
      workerId: this.workerId,
      pid: process.pid,
      state,
      cpuShare: Math.min(1, round((cpu.user + cpu.system) / 1000 / (now - this.lastAt))),
      requestsPerSecond,
      callsPerSecond: requestsPerSecond.INVITE ?? 0,
      openTransactions: this.sip.openTransactions,
      replies,
      shed,
      shedTotal: this.sip.admission.shed,
      admitShare: round(this.sip.admission.localShare),
      lagMs: round(this.sip.admission.lagMs),
      queuedBytes: this.sip.admission.queuedBytes,
      ...(this.sip.spreader ? { spreadOut: this.sip.spreader.handedOut, spreadIn: this.sip.spreader.handedIn } : {}),
      errors,
      rssBytes: this.readRss(),
    };
    this.lastAt = now;
    this.lastCpu = process.cpuUsage();
    this.lastRequests = snap.requests;
    this.lastReplies = snap.replies;
    this.lastShed = this.sip.admission.shed;
    this.lastErrors = snap.malformed;
    return report;
  }

  /**
   * process.memoryUsage() reads /proc and throws "Failed to get memory usage" when the process
   * is out of file descriptors (measured with 20,000 idle TCP connections): an uncaught throw
   * here used to end the worker and drop every phone on it. Falls back to the cheaper rss(),
   * then to the last value read.
   */
  private readRss(): number {
    try {
      this.lastRss = process.memoryUsage().rss;
    } catch {
      try {
        this.lastRss = process.memoryUsage.rss();
      } catch {
        // keep the last value
      }
    }
    return this.lastRss;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
