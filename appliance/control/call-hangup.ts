import type { DialogEvent } from '../sip/dialog-events.ts';
import { byesFor, type ByeSpec } from '../sip/hangup/build-bye.ts';
import type { ByeOutcome } from '../sip/hangup/bye-sender.ts';
import type { Destination } from '../sip/transport/transport.ts';
import { connectionKey } from '../sip/transport/connection-key.ts';
import type { ActiveCall, CallsView } from './calls-view.ts';
import type { ReplyCorrelator } from './reply-correlator.ts';
import type { TcpOwners } from './tcp-owners.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** The reason a call hung up from the UI ends with (call records, recent calls). */
export const HUNG_UP_BY_ADMIN = 'hung up by the admin';

/**
 * How long the control section waits for a worker's `bye-outcome`: a BYE's client
 * transaction ends by Timer F (64·T1 = 32 s, RFC 3261 §17.1.2.2) at the latest.
 */
export const BYE_OUTCOME_WAIT_MS = 35_000;

/** One dialog hung up: both BYEs' outcomes. */
export interface HungUpDialog {
  readonly tags: readonly [string, string];
  readonly from: string;
  readonly to: string;
  readonly caller: ByeOutcome;
  readonly callee: ByeOutcome;
}

/** What a hang-up came to. */
export type HangupAnswer =
  | { readonly kind: 'not-found' }
  /** Known, but without what a BYE needs (a call handed over by an upgrade from a version that kept no legs). */
  | { readonly kind: 'not-possible'; readonly reason: string }
  | { readonly kind: 'done'; readonly callId: string; readonly dialogs: readonly HungUpDialog[]; readonly ms: number };

/** What the hang-up drives. */
export interface CallHangupDeps {
  readonly calls: CallsView;
  readonly pool: Pick<WorkerPool, 'workers' | 'send'>;
  readonly tcpOwners: Pick<TcpOwners, 'ownerOf'>;
  readonly outcomes: ReplyCorrelator<ByeOutcome>;
  /** Has every worker send the dialog events it still batches (a re-INVITE's CSeq just relayed, a start). */
  readonly flushDialogs: () => Promise<void>;
  /** Ends the dialogs everywhere the workers' own dialog events go (calls view, records, lamps, successor). */
  readonly ended: (events: readonly DialogEvent[]) => void;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
}

/**
 * The worker that sends a BYE over `flow` (pure): the one holding its TCP/TLS connection (its
 * bytes leave there, and the response comes back there), else the worker that saw the call
 * answered, else any running worker. Undefined with no worker to send from.
 */
export function byeWorker(flow: Destination, callWorker: number, workers: readonly Pick<WorkerHandle, 'id' | 'state'>[], ownerOf: (key: string) => number | undefined): number | undefined {
  const usable = workers.filter((w) => w.state !== 'starting');
  const key = flow.transport === 'udp' ? undefined : flow.connection ?? connectionKey(flow.transport, flow.address, flow.port);
  const owner = key === undefined ? undefined : ownerOf(key);
  if (owner !== undefined && usable.some((w) => w.id === owner)) return owner;
  const running = usable.filter((w) => w.state === 'running');
  return (running.find((w) => w.id === callWorker) ?? running[0] ?? usable[0])?.id;
}

/**
 * Hang-up of an active call from the UI (docs/API.md): the proxy sends a BYE to each side as
 * the other side's UAC (RFC 3261 §15.1.1), from the worker holding that side's flow, and the
 * call ends, with "hung up by the admin", once both BYEs have their outcome. A second request
 * for a call being hung up waits for the same outcome.
 */
export class CallHangup {
  private readonly pending = new Map<string, Promise<HangupAnswer>>();

  constructor(private readonly d: CallHangupDeps) {}

  hangUp(callId: string, by: string): Promise<HangupAnswer> {
    const running = this.pending.get(callId);
    if (running) return running;
    const job = this.d.flushDialogs().then(() => this.start(callId, by)).finally(() => this.pending.delete(callId));
    this.pending.set(callId, job);
    return job;
  }

  private start(callId: string, by: string): Promise<HangupAnswer> {
    const found = this.d.calls.hangupStates(callId);
    if (found.length === 0) return Promise.resolve({ kind: 'not-found' });
    if (found.some((f) => !f.state)) {
      return Promise.resolve({ kind: 'not-possible', reason: 'the appliance does not know the route set and flows of this call: it was handed over by an upgrade from a version without hang-up' });
    }
    const started = performance.now();
    return Promise.all(found.map(({ state }) => this.dialog(state!.call, byesFor(callId, state!.legs, state!.seq)))).then((dialogs): HangupAnswer => {
      const ms = Math.round(performance.now() - started);
      this.d.ended(dialogs.map((x) => ({ kind: 'end', callId, tags: x.tags, ts: Date.now(), reason: HUNG_UP_BY_ADMIN })));
      for (const x of dialogs) {
        this.d.log('admin.hangup', `call ${x.from} → ${x.to} (Call-ID ${callId}) hung up by the admin (${by}): BYE to the caller answered ${x.caller.status}, to the callee ${x.callee.status} (${ms} ms)`,
          { callId, by, caller: x.caller.status, callee: x.callee.status, ms });
      }
      return { kind: 'done', callId, dialogs, ms };
    });
  }

  private async dialog(call: ActiveCall, byes: { readonly caller: ByeSpec; readonly callee: ByeSpec }): Promise<HungUpDialog> {
    const [caller, callee] = await Promise.all([this.send(call, byes.caller), this.send(call, byes.callee)]);
    return { tags: call.tags, from: call.from, to: call.to, caller, callee };
  }

  private send(call: ActiveCall, bye: ByeSpec): Promise<ByeOutcome> {
    const id = byeWorker(bye.leg.flow, call.worker, this.d.pool.workers, (k) => this.d.tcpOwners.ownerOf(k));
    const worker = this.d.pool.workers.find((w) => w.id === id);
    if (!worker) return Promise.resolve({ status: 503, reason: 'no connection control section runs', ms: 0 });
    const key = this.d.outcomes.nextKey();
    return this.d.outcomes.ask(key, () => this.d.pool.send(worker, { type: 'hangup', id: key, bye }), () => ({ status: 408, reason: `no outcome from connection control section ${worker.id}`, ms: BYE_OUTCOME_WAIT_MS }));
  }
}
