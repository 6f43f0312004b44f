import type { AdmissionRates } from './ipc-protocol.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * The admission in force (shedding, DESIGN.md overload ladder): the per-worker rates the
 * policy or a test set, told to every worker at once; a worker that starts later gets it when
 * it reports ready (worker-messages.ts). Null: no shedding. One owner, read by the peers
 * (overloaded), the IPC router and /metrics.
 */
export class AdmissionInForce {
  private rates: AdmissionRates | null = null;

  constructor(private readonly pool: WorkerPool) {}

  get current(): AdmissionRates | null {
    return this.rates;
  }

  /** Applies `rates` to every worker; null lifts shedding. */
  set(rates: AdmissionRates | null): void {
    this.rates = rates;
    this.pool.broadcast({ type: 'admission', admission: rates });
  }
}
