import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { servedZones } from '../dns/zones.ts';
import { PeerService } from '../peers/peer-service.ts';
import { sipSettings } from '../sip/start-sip.ts';
import { fanOutBindings } from './binding-fan-out.ts';
import { handOffTargetFor, sipTargetsFor } from './peer-roles.ts';
import { DEFAULT_SRV_WEIGHTS, INITIAL_SRV_MEMORY, srvPlaces, type MemberLoad, type SrvPlace } from '../peers/srv-weights.ts';
import { cpuShareFields, peerCpuShare } from '../peers/peer-protocol.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import type { PolicyInForce } from '../peers/config-rows-policy.ts';
import type { CarriedHandOff } from './succession.ts';

/** What the peer part reads from the control section. */
export interface ControlPeersDeps {
  readonly config: ApplianceConfig;
  /** The config now (a reload may change the name and the hand-off mode). */
  current(): ApplianceConfig;
  readonly store: Store;
  readonly pool: WorkerPool;
  /** Shedding in force, or the last sample over the scale-out threshold. */
  overloaded(): boolean;
  /** Mean CPU share of the running workers in the last sample. */
  cpuShare(): number;
  activeCalls(): number;
  /** Hottest CPU reading of the last sample, °C (null: no sensor). */
  temperature(): number | null;
  /** `[control] critical_cpu_temperature` now. */
  criticalTemperature(): number;
  /** A peer's replicated configuration rows were applied to the store (issue 19). */
  onConfigApplied(): void;
  /** The policy settings in force and the file's: a peer's policy rows must leave them valid as a whole. */
  policy(): PolicyInForce;
  /** The wall clock of the peer protocol (ControlOptions.peerClock); default Date.now. */
  readonly clock?: () => number;
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}

/**
 * Roles (issue 5): the peer service (heartbeats, replication, hand-off) wired to the workers:
 * a peer's bindings fanned out to every worker, and each worker told its SIP targets and its
 * hand-off target whenever the roles change.
 */
export function startControlPeers(d: ControlPeersDeps): { peers: PeerService; sendRoles(worker: WorkerHandle): void; heartbeat(): Promise<void> } {
  const { config, store, pool } = d;
  // Load-weighted SRV (srv-weights.ts): every member's place, recomputed after each heartbeat round.
  let srv = { places: new Map<string, SrvPlace>(), memory: INITIAL_SRV_MEMORY };
  const members = (): MemberLoad[] => {
    const self = peers.roles;
    return [
      { name: d.current().name, cpuShare: d.cpuShare(), temperature: d.temperature(), overloaded: d.overloaded(), handedOff: self.handedOffTo !== null },
      ...self.upPeers.map((l) => ({
        name: l.name, cpuShare: peerCpuShare(l.lastSummary), temperature: l.lastSummary?.temperature,
        overloaded: l.lastSummary?.overloaded ?? false, handedOff: l.lastSummary?.handedOff ?? false,
      })),
    ];
  };
  const placeAll = (): boolean => {
    const next = srvPlaces(members(), srv.memory, Date.now(), { ...DEFAULT_SRV_WEIGHTS, criticalTemperature: d.criticalTemperature() });
    const same = next.places.size === srv.places.size && [...next.places].every(([n, p]) => srv.places.get(n)?.weight === p.weight && srv.places.get(n)?.priority === p.priority);
    srv = next;
    return !same;
  };
  const sendRoles = (w: WorkerHandle) => {
    const now = d.current();
    if (now.peers.length === 0) return;
    pool.send(w, { type: 'sip-targets', targets: sipTargetsFor(peers.roles, now, now.sip.port, srv.places) });
    pool.send(w, { type: 'hand-off', target: handOffTargetFor(peers.roles, now) });
  };
  const clock = d.clock ?? Date.now;
  const peers: PeerService = new PeerService({
    config, clock,
    summary: () => ({
      name: d.current().name, ts: clock(), overloaded: d.overloaded(),
      workers: pool.workers.length, activeCalls: d.activeCalls(), handedOff: peers.roles.handedOffTo !== null, ...cpuShareFields(d.cpuShare()),
      temperature: d.temperature(),
    }),
    windows: () => d.current().control.handOffSchedule,
    applyRemote: (changes) => fanOutBindings(changes, { kind: 'peer' }, { store, pool, peers }),
    localBindings: () => store.registrations.loadActive(),
    localRemovals: () => store.registrations.tombstones(),
    // Issue 19: a peer's removals of bindings never held here are bounded (tombstone-cap.ts).
    bindingTombstones: {
      count: () => ({ live: store.registrations.countActive(), tombstones: store.registrations.tombstoneCount() }),
      known: (aor, contact) => store.registrations.storedVersion(aor, contact) > 0 || store.registrations.removedVersion(aor, contact) > 0,
    },
    // Issue 10 finding 9: a peer's bindings only for our extensions, with our registrar's limits.
    bindingRules: {
      domain: config.sip.domain,
      maxExpiresSeconds: config.sip.maxExpires,
      maxContacts: sipSettings(config, config.sip.port, config.sip.port).registrar.maxContacts,
      extensionExists: (n) => store.extensions.get(n) !== undefined,
      currentBindings: () => store.registrations.loadActive(),
      // Issue 19: who may hold a TCP/TLS phone's connection (the binding's flow holder).
      members: new Set([config.name, ...config.peers.map((p) => p.name)]),
    },
    onRoles: () => {
      placeAll();
      for (const w of pool.workers) sendRoles(w);
    },
    // Issue 19: the group's configuration replicates; a peer's row is checked as the admin's input would be here.
    configVersions: store.configVersions,
    configRules: () => {
      const now = d.current();
      return {
        origins: new Set(['', now.name, ...now.peers.map((p) => p.name)]), realm: now.sip.domain,
        emergencyNumbers: now.emergency.numbers, maxAheadMs: 60_000, zones: servedZones(now), policy: d.policy(),
      };
    },
    onConfigApplied: () => d.onConfigApplied(),
    log: d.log,
  });
  /** One heartbeat round, then the schedule and the situation switch, then the SRV places (sent to the workers if they moved). */
  const heartbeat = async () => {
    await peers.heartbeat();
    await peers.moves.tick();
    if (placeAll()) for (const w of pool.workers) sendRoles(w);
  };
  return { peers, sendRoles, heartbeat };
}

/**
 * The roles after a start, with peers: a schedule window that began before this start, or the
 * situation switch left on, holds again after the first heartbeat; an upgrade during a
 * hand-off asks the peer again to keep our new traffic (`carried`, the predecessor's cause).
 */
export function resumePeers(d: {
  readonly config: ApplianceConfig; readonly peers: PeerService; heartbeat(): Promise<void>; readonly carried: CarriedHandOff | null;
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}): void {
  const { peers, carried, log } = d;
  if (d.config.peers.length === 0) return;
  // A schedule window that began before this start, or the situation switch left on, holds again.
  const first = d.heartbeat().then(() => peers.moves.resume());
  // An upgrade during a hand-off: the peer keeps our new traffic (asked again, as the predecessor's cause).
  if (carried) {
    void Promise.resolve(first).then(() => peers.handOff({ cause: carried.cause, peer: carried.to }))
      .then((r) => log('control.upgrade', `hand-off to ${carried.to} carried over: ${r.message}`, { peer: carried.to, ok: r.ok }));
  }
}
