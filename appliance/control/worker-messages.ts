import { listenEndpoints, type ApplianceConfig } from '../../system/config/index.ts';
import type { BindingRecord, Store } from '../../system/store/index.ts';
import type { PeerService } from '../peers/peer-service.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import type { DialogEvent } from '../sip/dialog-events.ts';
import type { ByeOutcome } from '../sip/hangup/bye-sender.ts';
import type { LampBoard } from '../sip/events/lamp-board.ts';
import type { TrunkBoard } from '../trunks/trunk-board.ts';
import { fanOutBindings } from './binding-fan-out.ts';
import type { CallRecorder } from './call-records.ts';
import type { CallsView } from './calls-view.ts';
import type { AdmissionRates, WorkerToControl } from './ipc-protocol.ts';
import type { ReplyCorrelator } from './reply-correlator.ts';
import type { SamplerLoop } from './sampler-loop.ts';
import type { Predecessor, Successor } from './succession.ts';
import type { TcpOwners } from './tcp-owners.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/**
 * The control section's IPC router: one handler per message a worker sends, in one table the
 * compiler checks is complete (a new `WorkerToControl` message fails the type check until its
 * handler is here). A new IPC message: its type in ipc-protocol.ts, its handler here.
 */
export type WorkerMessageHandlers = {
  readonly [K in WorkerToControl['type']]: (worker: WorkerHandle, msg: Extract<WorkerToControl, { type: K }>) => void;
};

/** Dispatches a worker's message to its handler. */
export function routeWorkerMessages(handlers: WorkerMessageHandlers): (worker: WorkerHandle, msg: WorkerToControl) => void {
  return (worker, msg) => (handlers[msg.type] as ((w: WorkerHandle, m: WorkerToControl) => void) | undefined)?.(worker, msg);
}

/** What the handlers read and drive. */
export interface WorkerMessageDeps {
  readonly pool: WorkerPool;
  readonly store: Store;
  peers(): PeerService;
  config(): ApplianceConfig;
  admission(): AdmissionRates | null;
  readonly tcpOwners: TcpOwners;
  readonly trunks: TrunkBoard;
  readonly lamps: LampBoard;
  readonly calls: CallsView;
  readonly recorder: CallRecorder;
  readonly sampler: SamplerLoop;
  readonly traces: ReplyCorrelator<readonly TraceEntry[]>;
  readonly locations: ReplyCorrelator<BindingRecord[]>;
  /** The outcomes of the BYEs of hang-ups from the UI (call-hangup.ts). */
  readonly byeOutcomes: ReplyCorrelator<ByeOutcome>;
  /** Workers' answers to `dialogs-flush` (worker-queries.ts). */
  readonly flushes: ReplyCorrelator<true>;
  /** During an upgrade: the other control section, whose workers must see our bindings (and the successor our calls). */
  successor(): Successor | undefined;
  readonly predecessor?: Predecessor;
  /** The hand-off and SIP targets for one worker (peer roles). */
  sendRoles(worker: WorkerHandle): void;
  /** Every worker's Via port and sibling inbox, to every worker. */
  announceSiblings(): void;
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}

/** The handlers of every message a worker sends. */
export function workerMessages(d: WorkerMessageDeps): WorkerMessageHandlers {
  const { pool } = d;
  return {
    ready(worker, msg) {
      const config = d.config();
      d.log('control.worker.ready', `connection control section ${worker.id} running (pid ${msg.pid}): SIP on ${listenEndpoints(config.sip.listenAddresses, msg.sipPort)} (${config.sip.transports.join(', ')}), Via port ${msg.viaPort}`, { worker: worker.id });
      const admission = d.admission();
      if (admission) pool.send(worker, { type: 'admission', admission });
      pool.send(worker, { type: 'tcp-owners', owners: d.tcpOwners.entries() });
      for (const status of d.trunks.list()) pool.send(worker, { type: 'trunk-status', status });
      pool.send(worker, { type: 'lamps', changes: d.lamps.lamps().map((l) => ({ extension: l.extension, dialogs: l.dialogs, ended: [] })), reset: true });
      d.sendRoles(worker);
      d.announceSiblings();
    },
    tcp(worker, msg) {
      pool.broadcast({ type: 'tcp-owners', owners: [d.tcpOwners.update(msg.key, msg.open, worker.id)] }, worker);
    },
    'tcp-write'(worker, msg) {
      const owner = pool.workers.find((w) => w.id === d.tcpOwners.ownerOf(msg.key));
      // The holder sends it (or says it cannot: `tcp-write-failed` below); no holder: the sender hears so now.
      if (owner) pool.send(owner, { ...msg, from: worker.id });
      else if (msg.id !== undefined) pool.send(worker, { type: 'tcp-write-failed', id: msg.id, reason: 'no worker holds the connection' });
    },
    'tcp-write-failed'(_worker, msg) {
      const sender = pool.workers.find((w) => w.id === msg.to);
      if (sender) pool.send(sender, { type: 'tcp-write-failed', id: msg.id, reason: msg.reason });
    },
    bindings(worker, msg) {
      fanOutBindings(msg.changes, { kind: 'worker', worker }, { store: d.store, pool, peers: d.peers() });
      // During an upgrade the other control section's workers must see them too.
      d.successor()?.sendBindings(msg.changes);
      d.predecessor?.sendBindings(msg.changes);
    },
    report(worker, msg) {
      d.sampler.report(worker, msg.report, msg.totals);
    },
    trace(_worker, msg) {
      d.traces.answer(msg.id, msg.entries);
    },
    location(_worker, msg) {
      d.locations.answer(msg.id, [...msg.bindings]);
    },
    dialogs(worker, msg) {
      applyDialogEvents(d, worker.id, msg.events);
    },
    'bye-outcome'(_worker, msg) {
      d.byeOutcomes.answer(msg.id, msg.outcome);
    },
    'dialogs-flushed'(_worker, msg) {
      d.flushes.answer(msg.id, true);
    },
    subscription(_worker, msg) {
      // The notifier runs in the slot-0 worker; one starting later reads the store anyway.
      const notifier = pool.workers.find((w) => w.slot === 0 && w.state === 'running');
      if (notifier && typeof msg.id === 'string') pool.send(notifier, { type: 'subscription', id: msg.id });
    },
    pickup(_worker, msg) {
      const holder = pool.workers.find((w) => w.id === msg.request?.worker);
      if (holder) pool.send(holder, { type: 'pickup', request: msg.request });
    },
    ban(worker, msg) {
      pool.broadcast({ type: 'ban', ban: msg.ban }, worker);
    },
    'trunk-unreachable'(worker, msg) {
      if (typeof msg.trunk === 'string') pool.broadcast({ type: 'trunk-unreachable', trunk: msg.trunk }, worker);
    },
    'trunk-status'(worker, msg) {
      // Every worker routes trunk calls: a trunk down gets 503 at once on all of them.
      if (d.trunks.apply(msg.status)) pool.broadcast({ type: 'trunk-status', status: msg.status }, worker);
    },
    drained(worker, msg) {
      d.sampler.totals.update(worker.id, msg.totals);
      d.log('control.worker.drained', `connection control section ${worker.id} drained`, { worker: worker.id, open: msg.openTransactions });
    },
  };
}

/**
 * Dialog events, a worker's or the control section's own (a hang-up's end, call-hangup.ts
 * `worker` 0): the call records, the calls view, the successor during an upgrade, the lamps.
 */
export function applyDialogEvents(d: Pick<WorkerMessageDeps, 'recorder' | 'calls' | 'successor' | 'lamps' | 'pool'>, worker: number, events: readonly DialogEvent[]): void {
  d.recorder.apply(worker, events);
  d.calls.apply(worker, events);
  d.successor()?.sendDialogs(events);
  const changes = d.lamps.apply(worker, events);
  if (changes.length > 0) d.pool.broadcast({ type: 'lamps', changes });
}
