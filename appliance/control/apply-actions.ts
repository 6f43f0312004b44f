import type { HandOffCause, HandOffRequest, HandOffResult } from '../peers/hand-off.ts';
import type { Action } from './policy/index.ts';
import type { AdmissionRates } from '../sip/pipeline/admission-control.ts';
import type { OperatingState } from './operating-state.ts';
import type { WorkerPool } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** What applying the policy's actions needs from the control section. */
export interface ActionTarget {
  readonly pool: WorkerPool;
  readonly maxWorkers: number;
  setAdmission(admission: AdmissionRates | null): void;
  readonly peers: { handOff(req: HandOffRequest): Promise<HandOffResult>; takeBack(cause: HandOffCause): Promise<HandOffResult> };
  log(kind: EventKind, message: string, details: Record<string, unknown>): void;
}

/**
 * Applies the policy's decisions (the policy is pure; this is the edge): spawn or drain
 * connection control sections, start or stop shedding; every decision goes to the event log
 * with the operating state that caused it.
 */
export function applyActions(actions: readonly Action[], state: OperatingState, t: ActionTarget): void {
  const summary = summarise(state);
  for (const a of actions) {
    const details = { action: a, evidence: a.evidence, state: summary };
    switch (a.kind) {
      case 'scale-out': {
        const serving = t.pool.workers.filter((w) => w.state !== 'draining').length;
        const add = Math.max(0, Math.min(a.workers, t.maxWorkers) - serving);
        for (let i = 0; i < add; i++) t.pool.spawn();
        t.log('control.scale-out', `scale out to ${serving + add} connection control section(s): ${a.reason}`, details);
        break;
      }
      case 'scale-in': {
        const w = t.pool.workers.find((x) => x.id === a.workerId && x.state === 'running');
        if (w) t.pool.drain(w);
        t.log('control.scale-in', `draining connection control section ${a.workerId}: ${a.reason}`, details);
        break;
      }
      case 'shed':
        t.setAdmission(a.rates);
        t.log('control.shed', `shedding: admit ${a.rates.callsPerSecond} calls/s and ${a.rates.registersPerSecond} REGISTER/s per worker, Retry-After ${a.rates.retryAfterSeconds} s: ${a.reason}`, details);
        break;
      case 'stop-shedding':
        t.setAdmission(null);
        t.log('control.stop-shedding', `shedding stopped: ${a.reason}`, details);
        break;
      case 'hand-off':
        t.log('control.hand-off', `hand-off decided: ${a.reason}`, details);
        // The owner asks the peers in turn and records the outcome the policy reads next time.
        void t.peers.handOff({ cause: 'policy', candidates: a.peers }).then((r) => t.log('control.hand-off', r.message, { ok: r.ok, attempts: r.attempts }));
        break;
      case 'take-back':
        t.log('control.take-back', `take-back decided: ${a.reason}`, details);
        void t.peers.takeBack('policy').then((r) => t.log('control.take-back', r.message, { ok: r.ok }));
        break;
    }
  }
}

/** The operating state in a few numbers for the event log. */
function summarise(s: OperatingState): Record<string, unknown> {
  return {
    ts: s.ts,
    hostCpuPercent: s.host.cpuPercent,
    cpuTemperature: s.host.temperatures.cpu,
    workers: s.workers.map((w) => ({ id: w.workerId, state: w.state, cpuShare: w.cpuShare, cps: w.callsPerSecond, open: w.openTransactions, shed: w.shed })),
  };
}
