import type { ApplianceConfig } from '../../system/config/index.ts';
import type { History } from '../../system/sensors/history.ts';
import type { Store } from '../../system/store/index.ts';
import { metricsRoute } from '../metrics/metrics-route.ts';
import type { TotalsLedger } from '../metrics/worker-totals.ts';
import type { PeerService } from '../peers/peer-service.ts';
import type { TrunkBoard } from '../trunks/trunk-board.ts';
import { presentTrunk } from '../trunks/trunk-status.ts';
import type { ApplianceView } from '../web/appliance-view.ts';
import { startWebServer } from '../web/server.ts';
import type { CallsView } from './calls-view.ts';
import { commandChannelRoutes, writeControlToken } from './command-channel.ts';
import type { AdmissionRates } from './ipc-protocol.ts';
import type { OperatingState } from './operating-state.ts';
import type { WorkerPool } from './worker-pool.ts';

/** What the control section's web mounts read and do. */
export interface ControlWebDeps {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly pool: WorkerPool;
  readonly peers: PeerService;
  readonly calls: CallsView;
  readonly trunks: TrunkBoard;
  readonly history: History<OperatingState>;
  readonly totals: TotalsLedger;
  readonly view: ApplianceView;
  /** The config now (a reload may change the name). */
  current(): ApplianceConfig;
  admission(): AdmissionRates | null;
  reload(): Promise<unknown>;
  upgrade(): Promise<unknown>;
  print(line: string): void;
}

/**
 * Web mounting: the admin web UI and API (appliance/web/), with the peer API and the local
 * command channel (command-channel.ts) mounted first (they carry their own authentication: HMAC,
 * control token) and /metrics ([metrics] allow only). The peer API moves to its own listener
 * when `[web] peer_listen` is set.
 */
export function startControlWeb(d: ControlWebDeps): ReturnType<typeof startWebServer> {
  const { store, pool, peers, calls, trunks } = d;
  const routes = {
    ...commandChannelRoutes(writeControlToken(d.config.dataDir), {
      handOff: (peer) => peers.handOff({ cause: 'admin', peer }),
      takeBack: () => peers.takeBack(),
      policy: (changes) => ({ settings: changes === undefined ? d.view.policyEdits() : d.view.editPolicy(changes, 'cli') }),
      situation: (on, reason) => peers.moves.setSituation(on, reason, 'cli'),
      // The CLI changed the store (an extension removed): the workers reload and drop its bindings.
      storeChanged: () => {
        d.view.storeChanged();
        return { ok: true, workers: pool.workers.length };
      },
      status: () => ({
        name: d.current().name,
        workers: pool.workers.map((w) => ({ id: w.id, state: w.state, pid: w.proc.pid })),
        peers: peers.links.map((l) => ({ name: l.name, state: l.state, lastHeartbeatAt: l.lastHeartbeatAt, clock: peers.clocks.of(l.name) })),
        handedOffTo: peers.roles.handedOffTo?.name ?? null,
        handOff: peers.handOffStatus,
        moves: peers.moves.status,
        servingFor: peers.roles.servingFor,
        admission: d.admission(),
        activeCalls: calls.count,
      }),
      trunks: () => trunks.list().map((s) => presentTrunk(s, trunks.trunk(s.name))),
      reload: d.reload,
      upgrade: d.upgrade,
    }),
    // Prometheus (docs/METRICS.md): [metrics] allow only, no admin session.
    '/metrics': metricsRoute(d.config.metrics.allow, () => {
      const last = d.history.last();
      return {
        totals: d.totals.sum(), workers: last?.workers ?? [], host: last?.host, bindings: store.registrations.countActive(), dialogs: calls.count,
        shedding: d.admission() !== null, peers: peers.links.map((l) => ({ name: l.name, state: l.state })), trunks: trunks.list(),
      };
    }),
  };
  return startWebServer({ config: d.config, store, view: d.view, print: d.print, extraRoutes: routes, peerRoutes: peers.routes() });
}
