import type { ApplianceConfig } from '../../../../system/config/index.ts';
import { createHostSampler } from '../../../../system/sensors/host-sampler.ts';
import type { Store } from '../../../../system/store/index.ts';
import { CallsView } from '../../../../appliance/control/calls-view.ts';
import type { TraceEntry } from '../../../../appliance/sip/call-trace.ts';
import type { OperatingState, WorkerReport } from '../../../../appliance/control/operating-state.ts';
import { defaultPolicySettings, type PolicySettings } from '../../../../appliance/control/policy/index.ts';
import type { ApplianceView, PeerRow, WorkerSummary } from '../../../../appliance/web/appliance-view.ts';
import type { TrunkStatus } from '../../../../appliance/trunks/trunk-status.ts';
import { NOT_HANDED_OFF, type HandOffStatus } from '../../../../appliance/peers/hand-off.ts';
import type { Situation, TrafficMovesStatus } from '../../../../appliance/peers/traffic-moves.ts';
import { reloadConfig, type ReloadResult } from '../../../../appliance/control/config-reload.ts';
import type { SheddingStatus } from '../../../../appliance/control/sampler-loop.ts';
import { LampBoard, type ExtensionLamp } from '../../../../appliance/sip/events/lamp-board.ts';
import { CallHangup, type HangupAnswer } from '../../../../appliance/control/call-hangup.ts';
import { ReplyCorrelator } from '../../../../appliance/control/reply-correlator.ts';
import type { ByeOutcome } from '../../../../appliance/sip/hangup/bye-sender.ts';
import { TcpOwners } from '../../../../appliance/control/tcp-owners.ts';
import { editPolicy, policyView, withRunTimeEdits, type PolicySettingView } from '../../../../appliance/control/policy-edits.ts';

/**
 * An ApplianceView for the web tests until the control section implements it: backed by a real
 * store (registrations as the workers write them), a real CallsView fed dialog events, and
 * operating-state samples with a real host part (systeminformation) and worker reports the
 * test chooses. `unregister` removes the binding from the store only (no worker to tell).
 */
export class StoreView implements ApplianceView {
  readonly calls = new CallsView();
  /** Busy lamps: a real board a test feeds dialog events (as the control section does). */
  readonly lampBoard = new LampBoard((uri) => /^sip:(\d+)@office\.lan$/.exec(uri)?.[1]);
  readonly samples: OperatingState[] = [];
  readonly handOffs: string[] = [];
  storeChanges = 0;
  takeBacks = 0;
  private handOffAt: number | null = null;
  peerList: PeerRow[] = [];
  /** What `trunks()` answers (a test sets it, as the registering worker's reports would). */
  trunkList: TrunkStatus[] = [];
  workerList: WorkerSummary[] = [{ id: 1, pid: process.pid, state: 'running', startedAt: Date.now() }];
  private readonly listeners = new Set<(s: OperatingState) => void>();
  private readonly sampler;

  constructor(private readonly store: Store, private readonly config: ApplianceConfig) {
    this.sampler = createHostSampler({ dataDir: config.dataDir });
  }

  /** Takes a real host sample, adds worker reports, records and publishes it. */
  async sample(workers: Partial<WorkerReport>[] = [{}], ts = Date.now()): Promise<OperatingState> {
    const host = await this.sampler.sample();
    return this.push({ ts, host: { ...host, ts }, activeCalls: this.calls.count, workers: workers.map((w, i) => workerReport(i + 1, w)) });
  }

  lamps(): ExtensionLamp[] {
    return this.lampBoard.lamps();
  }

  trunks(): TrunkStatus[] {
    return this.trunkList;
  }

  push(state: OperatingState): OperatingState {
    this.samples.push(state);
    for (const l of this.listeners) l(state);
    return state;
  }

  history(limit: number): OperatingState[] {
    return this.samples.slice(-limit);
  }
  onSample(listener: (state: OperatingState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  workers(): WorkerSummary[] {
    return this.workerList;
  }
  activeCalls() {
    return this.calls.list();
  }
  /** Message traces a test puts in, by Call-ID (the real view gathers them from the workers). */
  readonly traces = new Map<string, TraceEntry[]>();
  async callTrace(callId: string): Promise<TraceEntry[]> {
    return this.traces.get(callId) ?? [];
  }

  recentCalls(limit: number) {
    return this.calls.recentCalls(limit);
  }
  registrations() {
    return this.store.registrations.loadActive();
  }
  unregister(aor: string, contact: string): void {
    this.store.registrations.apply([{ kind: 'remove', aor, contact, version: Number.MAX_SAFE_INTEGER }]);
  }
  storeChanged(): void {
    this.storeChanges += 1;
  }
  /**
   * Hang-ups asked for (Call-ID, by whom), answered by the real CallHangup over this view's
   * calls with no worker to send from: each BYE's outcome is 503 and the call ends.
   */
  readonly hangUps: { callId: string; by: string }[] = [];
  private readonly hangup = new CallHangup({
    calls: this.calls, pool: { workers: [], send: () => {} }, tcpOwners: new TcpOwners(), outcomes: new ReplyCorrelator<ByeOutcome>(1000), flushDialogs: async () => {},
    ended: (events) => this.calls.apply(0, events), log: (kind, message, details) => this.store.events.append(kind, message, details),
  });
  hangUp(callId: string, by: string): Promise<HangupAnswer> {
    this.hangUps.push({ callId, by });
    return this.hangup.hangUp(callId, by);
  }
  /** Reloads asked for; answered by the real reload of an appliance started without a config file. */
  reloads = 0;
  async reload(): Promise<ReloadResult> {
    this.reloads += 1;
    return reloadConfig({
      path: undefined, running: () => undefined, applyLive: () => {}, accept: () => {},
      newWorkers: () => Promise.reject(new Error('no workers here')),
    });
  }
  /** The file's policy settings (the defaults here), as live-config.ts makes them. */
  private filePolicy(): PolicySettings {
    return { ...defaultPolicySettings(this.config.control.maxWorkers), peers: this.peerList.map((p) => p.name) };
  }

  policyEdits(): PolicySettingView[] {
    return policyView(this.filePolicy(), this.store.policy.list());
  }

  editPolicy(changes: unknown, by: string): PolicySettingView[] {
    return editPolicy(this.store, this.filePolicy(), changes, by);
  }

  policySettings(): PolicySettings {
    return withRunTimeEdits(this.filePolicy(), this.store.policy.list());
  }
  peers(): PeerRow[] {
    return this.peerList;
  }
  /** What `sheddingStatus()` answers (a test sets it, as the sampler loop's policy would). */
  shedding: SheddingStatus | null = null;
  sheddingStatus(): SheddingStatus | null {
    return this.shedding;
  }
  handOffStatus(): HandOffStatus {
    const to = this.handOffs.length > this.takeBacks ? this.handOffs[this.handOffs.length - 1] : null;
    return { ...NOT_HANDED_OFF, to, cause: to ? 'admin' : null, since: to ? this.handOffAt : null };
  }
  async handOff(peer: string) {
    if (this.handOffStatus().to) return { ok: false, message: `already handed off to ${this.handOffStatus().to}` };
    this.handOffs.push(peer);
    this.handOffAt = Date.now();
    return { ok: true, message: `new traffic goes to ${peer}` };
  }
  async takeBack() {
    if (!this.handOffStatus().to) return { ok: false, message: 'nothing was handed off' };
    this.takeBacks += 1;
    return { ok: true, message: 'traffic taken back' };
  }
  /** The switch as the web tests see it (no peers here: it only records what was asked). */
  situationNow: Situation | null = null;
  async situation(on: boolean, reason: string) {
    if (!on && !this.situationNow) return { ok: false, message: 'the situation switch is off' };
    this.situationNow = on ? { reason, since: Date.now(), by: 'api' } : null;
    return { ok: true, message: on ? 'evacuation switched on' : 'evacuation switched off' };
  }
  trafficMoves(): TrafficMovesStatus {
    return { situation: this.situationNow, window: null };
  }
}

export function workerReport(id: number, w: Partial<WorkerReport> = {}): WorkerReport {
  return {
    workerId: id, pid: process.pid, state: 'running', cpuShare: 0.1 * id, requestsPerSecond: { INVITE: 2, REGISTER: 5 },
    callsPerSecond: 2, openTransactions: 3, replies: { '1xx': 2, '2xx': 7, '3xx': 0, '4xx': 1, '5xx': 0, '6xx': 0 },
    shed: 0, errors: 0, rssBytes: 50e6, ...w,
  };
}
