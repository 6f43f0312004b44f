import type { ApplianceConfig, HandOffWindowConfig } from '../../system/config/index.ts';
import { ApplianceError } from '../../system/errors/index.ts';
import { errorResponse, json } from '../web/http.ts';
import type { BindingChange, BindingRecord, ConfigVersionsStore } from '../../system/store/index.ts';
import { CONFIG_PATH, ConfigReplication } from './config-replication.ts';
import type { ConfigRowRules } from './config-rows.ts';
import { PeerVerifier, RefusalLogLimiter } from './peer-auth.ts';
import { HandOffs, type HandOffCause, type HandOffRequest, type HandOffResult, type HandOffStatus } from './hand-off.ts';
import { checkPeerChanges, type PeerBindingRules } from './peer-binding-rules.ts';
import { PeerLink } from './peer-link.ts';
import { RejectionLog } from './rejection-log.ts';
import { TrafficMoves } from './traffic-moves.ts';
import { capTombstones, TombstoneCapLog, type TableCount } from './tombstone-cap.ts';
import { clockSample, ClockWatch } from './clock-skew.ts';
import { batchesBySize } from './peer-batches.ts';
import {
  PEER_PATHS, SYNC_BATCH,
  type BindingsRequest, type BindingsResponse, type HandOffResponse, type HeartbeatRequest, type HeartbeatResponse, type PeerSummary,
} from './peer-protocol.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** The roles this appliance plays towards its peers, for SRV records and SIP admission. */
export interface PeerRoles {
  /** We gave our new traffic to this peer (hand-off). */
  readonly handedOffTo: PeerLink | null;
  /** Peers that are up (SRV lists them after us; a down peer is left out: fail-over). */
  readonly upPeers: readonly PeerLink[];
  /** Peers whose traffic we accepted, or that are down (we answer for their phones). */
  readonly servingFor: readonly string[];
}

/** What the peer service needs from the control section. */
export interface PeerServiceDeps {
  readonly config: ApplianceConfig;
  readonly summary: () => PeerSummary;
  /** Registration changes from a peer, already checked: write them to the store and give them to the workers. */
  readonly applyRemote: (changes: readonly BindingChange[]) => number;
  /** What a replicated binding must satisfy here (peer-binding-rules.ts). */
  readonly bindingRules: PeerBindingRules;
  /** Every active binding here, for a full sync. */
  readonly localBindings: () => BindingRecord[];
  /** The binding removals still remembered here (tombstones), sent with a full sync so a split does not undo them. */
  readonly localRemovals?: () => BindingChange[];
  /**
   * The binding table's counts and whether a binding (or its tombstone) is held, for the bound on
   * a peer's removals of bindings never held here (tombstone-cap.ts). Absent: no bound.
   */
  readonly bindingTombstones?: { count(): TableCount; known(aor: string, contact: string): boolean };
  /** Versions of the replicated configuration (extensions), and what a peer's rows must satisfy. */
  readonly configVersions: ConfigVersionsStore;
  readonly configRules: () => ConfigRowRules;
  /** Configuration rows from a peer were applied: the workers reload what they cache. */
  readonly onConfigApplied: () => void;
  /** `[[control.hand_off_schedule]]` now (a reload may change it). */
  readonly windows?: () => readonly HandOffWindowConfig[];
  /** The roles changed: update SRV targets and SIP admission in the workers. */
  readonly onRoles: (roles: PeerRoles) => void;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** The wall clock of the peer protocol: heartbeat timestamps, signatures, clock offsets (default Date.now). */
  readonly clock?: () => number;
}

/** How long changes wait to be sent together. */
const DELTA_FLUSH_MS = 100;

/**
 * Peer appliances (issue 5): heartbeats with state summaries, registration replication (full
 * sync when a peer comes up, then deltas; versioned last-writer-wins, so both sides converge),
 * hand-off and take-back, and the signed peer API the other side calls.
 */
export class PeerService {
  readonly links: PeerLink[];
  private readonly verifier: PeerVerifier;
  /** The one owner of our hand-off state (hand-off.ts). */
  private readonly handOffs: HandOffs;
  private readonly acceptedFrom = new Set<string>();
  private readonly refusals = new RefusalLogLimiter();
  private queue: BindingChange[] = [];
  private flushTimer?: ReturnType<typeof setTimeout>;
  /** Replicated bindings refused by the binding rules, counted and logged (rate limited). */
  readonly rejections: RejectionLog;
  /** Replicated configuration: push on change, full sync on (re)join (config-replication.ts). */
  readonly configuration: ConfigReplication;
  /** Hand-off by schedule and by the situation switch (traffic-moves.ts), through `handOffs`. */
  readonly moves: TrafficMoves;
  /** A peer's tombstones dropped at the bound (configuration kinds and `binding`), counted and logged (tombstone-cap.ts). */
  readonly tombstonesCapped: TombstoneCapLog;
  /** Each peer's clock against ours, from the heartbeat round trips, and the skew warnings (clock-skew.ts). */
  readonly clocks: ClockWatch;
  private readonly now: () => number;

  constructor(private readonly deps: PeerServiceDeps) {
    this.now = deps.clock ?? Date.now;
    this.links = deps.config.peers.map((p) => new PeerLink(p, deps.config.name, this.now));
    this.clocks = new ClockWatch(deps.log);
    this.rejections = new RejectionLog(deps.log);
    this.verifier = new PeerVerifier(new Map(deps.config.peers.map((p) => [p.name, p.secret])));
    this.tombstonesCapped = new TombstoneCapLog(deps.log);
    this.configuration = new ConfigReplication({
      links: this.links, versions: deps.configVersions, rules: deps.configRules, onApplied: deps.onConfigApplied, log: deps.log,
      capLog: this.tombstonesCapped,
    });
    this.configuration.start();
    this.handOffs = new HandOffs({
      links: this.links, self: deps.config.name, log: deps.log, onChange: () => deps.onRoles(this.roles),
      onReleased: (causes, by) => this.moves.released(causes, by),
    });
    this.moves = new TrafficMoves({ handOffs: this.handOffs, hasPeers: () => this.links.length > 0, windows: () => deps.windows?.() ?? [], dataDir: deps.config.dataDir, log: deps.log });
  }

  /** Our hand-off as the policy and the UI read it. */
  get handOffStatus(): HandOffStatus {
    return this.handOffs.status;
  }

  get roles(): PeerRoles {
    const down = this.links.filter((l) => l.state === 'down').map((l) => l.name);
    return {
      handedOffTo: this.handOffs.to,
      upPeers: this.links.filter((l) => l.state === 'up'),
      servingFor: [...new Set([...this.acceptedFrom, ...down])],
    };
  }

  /** One heartbeat round to every peer (the control section schedules it). */
  async heartbeat(): Promise<void> {
    await Promise.all(this.links.map(async (link) => {
      let summary: PeerSummary | null = null;
      try {
        const sentAt = this.now();
        summary = (await link.post<HeartbeatResponse>(PEER_PATHS.heartbeat, { summary: this.deps.summary() } satisfies HeartbeatRequest)).summary;
        const receivedAt = this.now();
        // The peer read its clock for the answer between our send and its arrival (clock-skew.ts).
        const sample = clockSample(sentAt, receivedAt, summary?.ts);
        if (sample) this.clocks.note(link.name, sample, receivedAt);
      } catch {
        summary = null;
      }
      this.afterHeartbeat(link, summary !== null, summary);
    }));
  }

  /** Registration changes made here: sent to the peers that are up, in batches. */
  replicate(changes: readonly BindingChange[]): void {
    if (this.links.length === 0 || changes.length === 0) return;
    for (const c of changes) this.queue.push(c);
    this.flushTimer ??= setTimeout(() => void this.flush(), DELTA_FLUSH_MS);
  }

  /** Hands new traffic to a peer: the named one, or the best accepting one (hand-off.ts). */
  handOff(req: HandOffRequest): Promise<HandOffResult> {
    return this.handOffs.handOff(req);
  }

  /** `cause` lets go of the hand-off (the admin's: every hold but the situation switch's); hand-off.ts. */
  takeBack(cause: HandOffCause = 'admin'): Promise<HandOffResult> {
    return this.handOffs.takeBack(cause);
  }

  /** The peer API routes, to mount on the web server (each checks the HMAC first). */
  routes(): Record<string, (req: Request, client?: string) => Promise<Response>> {
    const route = (handler: (peer: string, body: any) => unknown) => async (req: Request, client = 'unknown'): Promise<Response> => {
      if (req.method !== 'POST') return errorResponse(new ApplianceError('method-not-allowed', 'the peer API takes POST only'));
      const text = await req.text();
      const auth = this.verifier.verify(req.method, new URL(req.url).pathname, text, req.headers, this.now());
      if (!auth.ok) {
        // Unsigned junk is logged a few times a minute per source and reason, not once a request.
        const { log, suppressed } = this.refusals.admit(client, auth.reason);
        if (log) this.deps.log('peer.auth.refused', `peer request refused: ${auth.reason}`, { path: new URL(req.url).pathname, client, ...(suppressed ? { suppressed } : {}) });
        return errorResponse(new ApplianceError('unauthenticated', auth.reason));
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return errorResponse(new ApplianceError('malformed-message', 'body is not JSON'));
      }
      try {
        return json(await handler(auth.peer, body));
      } catch (err) {
        // A malformed body from an authenticated peer: a clear error, mapped in one place.
        if (!(err instanceof ApplianceError)) throw err;
        return errorResponse(err);
      }
    };
    return {
      [PEER_PATHS.heartbeat]: route((peer, body: HeartbeatRequest) => {
        const link = this.links.find((l) => l.name === peer);
        if (link) this.afterHeartbeat(link, true, body?.summary ?? null);
        return { summary: this.deps.summary() } satisfies HeartbeatResponse;
      }),
      // Deltas and the full sync on (re)join both arrive here: every change is checked first.
      [PEER_PATHS.bindings]: route((peer, body: BindingsRequest) => {
        const verdict = checkPeerChanges(body?.changes, this.deps.bindingRules, Date.now());
        this.rejections.note(peer, verdict);
        const { kept, capped } = this.capBindingTombstones(peer, verdict.accepted);
        const applied = kept.length > 0 ? this.deps.applyRemote(kept) : 0;
        return { applied, rejected: verdict.rejectedCount, ...(capped > 0 ? { capped } : {}) } satisfies BindingsResponse;
      }),
      [CONFIG_PATH]: route((peer, body) => this.configuration.receive(peer, body)),
      [PEER_PATHS.handOff]: route((peer) => this.acceptHandOff(peer)),
      [PEER_PATHS.takeBack]: route((peer) => {
        this.acceptedFrom.delete(peer);
        this.deps.log('peer.remote.take-back', `${peer} took its traffic back`, { peer });
        this.deps.onRoles(this.roles);
        return { ok: true };
      }),
    };
  }

  stop(): void {
    clearTimeout(this.flushTimer);
    this.moves.stop();
    this.configuration.stop();
    this.rejections.stop();
  }

  /** A peer's removals of bindings never held here, only while the tombstone table has room (tombstone-cap.ts). */
  private capBindingTombstones(peer: string, changes: BindingChange[]): { kept: BindingChange[]; capped: number } {
    const t = this.deps.bindingTombstones;
    if (!t || !changes.some((c) => c.kind === 'remove')) return { kept: changes, capped: 0 };
    const ofChange = (c: BindingChange) => (c.kind === 'upsert' ? c.binding : c);
    const { kept, dropped } = capTombstones(changes, {
      isTombstone: (c) => c.kind === 'remove', key: (c) => `${ofChange(c).aor}\u0000${ofChange(c).contact}`, table: () => 'binding',
      known: (c) => t.known(ofChange(c).aor, ofChange(c).contact), count: () => t.count(),
    });
    this.tombstonesCapped.note(peer, dropped);
    return { kept, capped: dropped.get('binding') ?? 0 };
  }

  private acceptHandOff(peer: string): HandOffResponse {
    // Accept only what we can carry: not overloaded ourselves, not handed off ourselves.
    if (this.deps.summary().overloaded) return { accepted: false, reason: 'overloaded' };
    // Being evacuated, or in a hand-off window: this box is the one traffic leaves, not where it goes.
    const moves = this.moves.status;
    if (moves.situation) return { accepted: false, reason: `evacuating (${moves.situation.reason})` };
    if (moves.window && !moves.window.dismissed) return { accepted: false, reason: 'in a scheduled hand-off window' };
    const own = this.handOffs.status;
    if (own.to !== null || own.pending) return { accepted: false, reason: own.to ? `handed off to ${own.to}` : 'handing off itself' };
    this.acceptedFrom.add(peer);
    this.deps.log('peer.remote.hand-off', `taking over new traffic from ${peer}`, { peer });
    this.deps.onRoles(this.roles);
    return { accepted: true, reason: 'accepted' };
  }

  private afterHeartbeat(link: PeerLink, ok: boolean, summary: PeerSummary | null): void {
    const change = link.heartbeat(ok, summary);
    if (!change) return;
    if (change.to === 'up') {
      this.deps.log('peer.up', `peer ${link.name} is up; sending a full sync`, { peer: link.name, from: change.from });
      void this.fullSync(link);
      this.configuration.linkUp(link);
    } else if (change.to === 'down') {
      this.deps.log('peer.down', `peer ${link.name} is down: answering for its phones`, { peer: link.name });
      this.handOffs.peerDown(link);
      this.configuration.linkDown(link);
    }
    this.deps.onRoles(this.roles);
  }

  private async fullSync(link: PeerLink): Promise<void> {
    const all = [...this.deps.localBindings().map((binding): BindingChange => ({ kind: 'upsert', binding })), ...(this.deps.localRemovals?.() ?? [])];
    try {
      // Batches of SYNC_BATCH at most, and at most 64 KiB a request (peer-batches.ts).
      for (const changes of batchesBySize(all, SYNC_BATCH)) {
        await link.post<BindingsResponse>(PEER_PATHS.bindings, { changes } satisfies BindingsRequest);
      }
      this.deps.log('peer.synced', `full sync to ${link.name}: ${all.length} binding(s)`, { peer: link.name, bindings: all.length });
    } catch (err) {
      this.deps.log('peer.sync-failed', `full sync to ${link.name} failed: ${(err as Error).message}`, { peer: link.name });
    }
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const batch = this.queue;
    this.queue = [];
    await Promise.all(this.links.filter((l) => l.state === 'up').map(async (link) => {
      try {
        for (const changes of batchesBySize(batch, SYNC_BATCH)) {
          await link.post(PEER_PATHS.bindings, { changes } satisfies BindingsRequest);
        }
      } catch {
        // The next heartbeat marks it down; on its return it gets a full sync.
      }
    }));
  }
}
