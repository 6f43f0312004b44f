import type { HostSample } from '../../system/sensors/host-sample.ts';
import type { History } from '../../system/sensors/history.ts';
import { TotalsLedger, type WorkerTotals } from '../metrics/worker-totals.ts';
import { applyActions, type ActionTarget } from './apply-actions.ts';
import type { OperatingState, WorkerReport } from './operating-state.ts';
import { initialPolicyMemory, policy, type PolicySettings } from './policy/index.ts';
import type { HandOffStatus } from '../peers/hand-off.ts';
import { ReplyCorrelator } from './reply-correlator.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';

/** Samples the policy looks at (its longest window is well below this). */
const POLICY_WINDOW = 120;

/** Shedding in force, as the Peers page and `GET /api/peers` show it (null when not shedding). */
export interface SheddingStatus {
  /** Epoch ms when shedding began. */
  readonly since: number;
  /** What each worker admits now, per second, and the Retry-After beyond that. */
  readonly callsPerSecond: number;
  readonly registersPerSecond: number;
  readonly retryAfterSeconds: number;
  /** The policy's sentence for the last change of the rates. */
  readonly reason: string;
}

/** What the sampler loop reads and drives. */
export interface SamplerLoopDeps {
  readonly pool: WorkerPool;
  readonly history: History<OperatingState>;
  /** How long a sample waits for the workers' reports (ms). */
  readonly reportWaitMs: number;
  sampleHost(): Promise<HostSample>;
  activeCalls(): number;
  /** The policy's settings now (a reload may change them). */
  settings(): PolicySettings;
  handOffStatus(): HandOffStatus;
  /** Where the policy's actions are applied (apply-actions.ts), less the worker bound (read from the settings). */
  readonly actions: Omit<ActionTarget, 'maxWorkers' | 'pool'>;
  /** Every sample taken (the web UI's live charts). */
  readonly listeners: ReadonlySet<(s: OperatingState) => void>;
}

/**
 * The sampler loop (DESIGN.md operating state): asks every worker for its report, samples the
 * host, keeps the sample in the bounded history, runs the pure policy over it and applies what
 * it decides. Also keeps the workers' cumulative totals for /metrics.
 */
export class SamplerLoop {
  private readonly reports: ReplyCorrelator<WorkerReport>;
  private readonly lastReports = new Map<number, WorkerReport>();
  /** The workers' cumulative counts for /metrics; a worker gone keeps its last totals counted. */
  readonly totals = new TotalsLedger();
  private memory = initialPolicyMemory;
  private shed: SheddingStatus | null = null;

  constructor(private readonly d: SamplerLoopDeps) {
    this.reports = new ReplyCorrelator(d.reportWaitMs);
  }

  /** Takes one sample now (also what the schedule runs). */
  async sampleNow(): Promise<OperatingState> {
    const { pool, history } = this.d;
    const reports = pool.workers.map((w) => this.reports.ask(w.id, () => pool.send(w, { type: 'sample' }), () => this.standIn(w)));
    const [host, ...got] = await Promise.all([this.d.sampleHost(), ...reports]);
    const state: OperatingState = { ts: Date.now(), host, workers: got.filter((r): r is WorkerReport => !!r), activeCalls: this.d.activeCalls() };
    history.push(state);
    const settings = this.d.settings();
    const decided = policy({ history: history.latest(POLICY_WINDOW), settings, memory: this.memory, handOff: this.d.handOffStatus(), now: state.ts });
    this.memory = decided.memory;
    for (const a of decided.actions) {
      if (a.kind === 'shed') this.shed = { since: decided.memory.shedding?.startedAt ?? state.ts, ...a.rates, reason: a.reason };
      else if (a.kind === 'stop-shedding') this.shed = null;
    }
    applyActions(decided.actions, state, { ...this.d.actions, pool, maxWorkers: settings.maxWorkers });
    for (const l of this.d.listeners) l(state);
    return state;
  }

  /** A worker's `report`: a late one (after the sample gave up waiting) still updates what a stand-in uses. */
  report(worker: WorkerHandle, report: WorkerReport, totals?: WorkerTotals): void {
    this.lastReports.set(worker.id, report);
    this.totals.update(worker.id, totals);
    this.reports.answer(worker.id, report);
  }

  /** A worker exited: forget its last report, keep its totals counted. */
  forget(workerId: number): void {
    this.lastReports.delete(workerId);
    this.totals.retire(workerId);
  }

  /** Shedding in force now, from the policy's last shed / stop-shedding decision. */
  sheddingStatus(): SheddingStatus | null {
    return this.shed;
  }

  /** Mean CPU share of the running workers in the last sample (0 before the first). */
  cpuShareNow(): number {
    const running = this.d.history.last()?.workers.filter((w) => w.state === 'running') ?? [];
    return running.length === 0 ? 0 : running.reduce((a, w) => a + w.cpuShare, 0) / running.length;
  }

  /**
   * A running worker too busy to answer within the wait is saturated: it counts with
   * CPU share 1 and its last known rates (leaving it out hid exactly the overload the policy
   * must see; measured with bench/workers-cps).
   */
  private standIn(w: WorkerHandle): WorkerReport | undefined {
    if (w.state !== 'running') return undefined;
    const last = this.lastReports.get(w.id);
    return {
      workerId: w.id, pid: w.proc.pid, requestsPerSecond: {}, callsPerSecond: 0, openTransactions: 0,
      replies: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 }, shed: 0, errors: 0, rssBytes: 0,
      ...last, state: 'running', cpuShare: 1,
    };
  }
}
