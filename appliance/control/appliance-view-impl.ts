import type { BindingChange, Store } from '../../system/store/index.ts';
import type { History } from '../../system/sensors/history.ts';
import type { PeerService } from '../peers/peer-service.ts';
import type { ApplianceView, PeerRow } from '../web/appliance-view.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import type { CallsView } from './calls-view.ts';
import type { OperatingState } from './operating-state.ts';
import type { PolicySettings } from './policy/index.ts';
import type { WorkerPool } from './worker-pool.ts';
import type { TrunkBoard } from '../trunks/trunk-board.ts';
import type { ReloadResult } from './config-reload.ts';
import { fanOutBindings } from './binding-fan-out.ts';
import type { LampBoard } from '../sip/events/lamp-board.ts';
import type { SheddingStatus } from './sampler-loop.ts';
import type { HangupAnswer } from './call-hangup.ts';
import { editPolicy, policyView } from './policy-edits.ts';
import type { PeerClock } from '../peers/clock-skew.ts';

/** What the control section hands to its ApplianceView. */
export interface ViewParts {
  readonly store: Store;
  readonly pool: WorkerPool;
  readonly history: History<OperatingState>;
  readonly calls: CallsView;
  readonly peers: PeerService;
  /** The policy's settings now (a reload may change them). */
  readonly settings: () => PolicySettings;
  /** The policy settings the config file gives, without run-time edits. */
  readonly filePolicy: () => PolicySettings;
  /** Gathers a call's trace from every worker. */
  readonly callTrace: (callId: string) => Promise<TraceEntry[]>;
  /** Subscribers to new samples (the control section calls them after each sample). */
  readonly sampleListeners: Set<(s: OperatingState) => void>;
  /** The trunks' states as the registering worker reports them. */
  readonly trunks: TrunkBoard;
  /** Reload of the config file (config-reload.ts). */
  readonly reload: () => Promise<ReloadResult>;
  /** Told when the admin changed the store, before the workers are. */
  readonly onStoreChanged?: () => void;
  /** Busy lamps: the dialog state per extension across every worker. */
  readonly lamps: LampBoard;
  /** Shedding in force (the sampler loop's last decision). */
  readonly shedding: () => SheddingStatus | null;
  /** Hang-up of an active call (call-hangup.ts). */
  readonly hangUp: (callId: string, by: string) => Promise<HangupAnswer>;
}

/** The control section as the web API sees it (appliance/web/appliance-view.ts). */
export function applianceView(p: ViewParts): ApplianceView {
  return {
    history: (limit) => p.history.latest(limit),
    onSample(listener) {
      p.sampleListeners.add(listener);
      return () => p.sampleListeners.delete(listener);
    },
    workers: () => p.pool.workers.map((w) => ({ id: w.id, pid: w.proc.pid, state: w.state, startedAt: w.startedAt })),
    activeCalls: () => p.calls.list(),
    recentCalls: (limit) => p.calls.recentCalls(limit),
    callTrace: (callId) => p.callTrace(callId),
    registrations: () => p.store.registrations.loadActive(),
    unregister(aor, contact) {
      const cur = p.store.registrations.loadActive().find((b) => b.aor === aor && b.contact === contact);
      if (!cur) return;
      // A removal newer than the binding, applied everywhere: store, every worker, the peers.
      const change: BindingChange = { kind: 'remove', aor, contact, version: Math.max(cur.version + 1, Date.now()) };
      fanOutBindings([change], { kind: 'admin' }, p);
      p.store.events.append('admin.unregister', `binding ${contact} of ${aor} removed by the admin`, { aor, contact });
    },
    storeChanged: () => {
      try {
        p.onStoreChanged?.();
      } finally {
        p.pool.broadcast({ type: 'store-changed' });
      }
    },
    policySettings: () => p.settings(),
    policyEdits: () => policyView(p.filePolicy(), p.store.policy.list()),
    editPolicy: (changes, by) => editPolicy(p.store, p.filePolicy(), changes, by),
    peers: (): PeerRow[] => {
      const roles = p.peers.roles;
      return p.peers.links.map((l) => ({
        name: l.name, url: l.config.url, sip: l.config.sip, state: l.state, lastHeartbeatAt: l.lastHeartbeatAt,
        role: roles.handedOffTo === l ? 'handed-off' : roles.servingFor.includes(l.name) ? 'serving-for-peer' : 'normal',
        clock: clockOf(p.peers.clocks.of(l.name)),
      }));
    },
    handOffStatus: () => p.peers.handOffStatus,
    sheddingStatus: () => p.shedding(),
    handOff: (peer) => p.peers.handOff({ cause: 'admin', peer }),
    takeBack: () => p.peers.takeBack(),
    situation: (on, reason) => p.peers.moves.setSituation(on, reason, 'api'),
    trafficMoves: () => p.peers.moves.status,
    trunks: () => p.trunks.list(),
    reload: () => p.reload(),
    lamps: () => p.lamps.lamps(),
    hangUp: (callId, by) => p.hangUp(callId, by),
  };
}

/** A peer's clock as the API shows it (the fields of PeerRow.clock). */
function clockOf(c: PeerClock | null): PeerRow['clock'] {
  return c ? { offsetMs: c.offsetMs, uncertaintyMs: c.uncertaintyMs, skewed: c.skewed } : null;
}
