import type { BindingRecord } from '../../system/store/index.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import { ReplyCorrelator } from './reply-correlator.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * Questions the control section asks every worker and waits for (diagnostics): a call's
 * messages and an AOR's bindings. The replies reach `traces` and `locations` through the IPC
 * router (worker-messages.ts); a worker that does not answer within the wait is left out.
 */
export class WorkerQueries {
  readonly traces: ReplyCorrelator<readonly TraceEntry[]>;
  readonly locations: ReplyCorrelator<BindingRecord[]>;
  /** Workers that sent the dialog events they held (`dialogs-flushed`). */
  readonly flushes: ReplyCorrelator<true>;

  constructor(private readonly pool: WorkerPool, waitMs: number) {
    this.traces = new ReplyCorrelator(waitMs);
    this.locations = new ReplyCorrelator(waitMs);
    this.flushes = new ReplyCorrelator(waitMs);
  }

  /**
   * Every worker sends the dialog events it still batches (10 ms, worker-main.ts), and resolves
   * once each has answered: the IPC keeps a worker's order, so its events were handled first
   * (a hang-up reads the CSeq a re-INVITE just moved, call-hangup.ts).
   */
  async flushDialogs(): Promise<void> {
    const { pool, flushes } = this;
    await Promise.all(pool.workers.map((w) => {
      const id = flushes.nextKey();
      return flushes.ask(id, () => pool.send(w, { type: 'dialogs-flush', id }), () => false);
    }));
  }

  /** A call's messages from every worker (each saw part of it), merged in time order. */
  async callTrace(callId: string): Promise<TraceEntry[]> {
    const { pool, traces } = this;
    const parts = await Promise.all(pool.workers.map((w) => {
      const id = traces.nextKey();
      return traces.ask(id, () => pool.send(w, { type: 'trace-request', id, callId }), () => []);
    }));
    return parts.flat().sort((a, b) => a.ts - b.ts);
  }

  /** What each worker's location view holds for an AOR, by worker id (did a change reach every worker?). */
  async locationOf(aor: string): Promise<Map<number, BindingRecord[]>> {
    const { pool, locations } = this;
    const parts = await Promise.all(pool.workers.map(async (w) => {
      const id = locations.nextKey();
      const got = await locations.ask(id, () => pool.send(w, { type: 'location-request', id, aor }), () => undefined);
      return got === undefined ? undefined : ([w.id, got] as [number, BindingRecord[]]);
    }));
    return new Map(parts.filter((p): p is [number, BindingRecord[]] => p !== undefined));
  }
}
