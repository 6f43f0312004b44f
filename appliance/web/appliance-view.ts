import type { BindingRecord } from '../../system/store/index.ts';
import type { ActiveCall, EndedCall } from '../control/calls-view.ts';
import type { OperatingState } from '../control/operating-state.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import type { PolicySettings } from '../control/policy/index.ts';
import type { TrunkStatus } from '../trunks/trunk-status.ts';
import type { ExtensionLamp } from '../sip/events/lamp-board.ts';
import type { HandOffResult, HandOffStatus } from '../peers/hand-off.ts';
import type { TrafficMovesStatus } from '../peers/traffic-moves.ts';
import type { ReloadResult } from '../control/config-reload.ts';
import type { SheddingStatus } from '../control/sampler-loop.ts';
import type { HangupAnswer } from '../control/call-hangup.ts';
import type { PolicySettingView } from '../control/policy-edits.ts';

/** A connection control section as the admin sees it. */
export interface WorkerSummary {
  readonly id: number;
  readonly pid: number;
  readonly state: 'starting' | 'running' | 'draining';
  readonly startedAt: number;
}

/** One peer appliance as `GET /api/peers` lists it (the heartbeat's load summary is peers/peer-protocol.ts `PeerSummary`). */
export interface PeerRow {
  readonly name: string;
  readonly url: string;
  readonly sip: string;
  readonly state: 'unknown' | 'up' | 'down';
  readonly lastHeartbeatAt: number | null;
  /** Whether this appliance has handed its new traffic to the peer, or took over the peer's. */
  readonly role: 'normal' | 'handed-off' | 'serving-for-peer';
  /**
   * The peer's clock against ours from the last heartbeat round trip (ms, positive: the peer is
   * ahead; ± uncertaintyMs), `skewed` above 2 s (peers/clock-skew.ts); null (or absent) before the first.
   */
  readonly clock?: { readonly offsetMs: number; readonly uncertaintyMs: number; readonly skewed: boolean } | null;
}

/**
 * What the web API may read and do on the running appliance: the control section implements
 * it; the web server only sees this interface (DESIGN.md: web-ui reaches the appliance only
 * through its API, and the API reaches the control section only through this).
 */
export interface ApplianceView {
  /** Operating-state samples, oldest first (at most `limit`). */
  history(limit: number): OperatingState[];
  /** Subscribe to each new sample (for live charts); returns an unsubscribe function. */
  onSample(listener: (state: OperatingState) => void): () => void;
  workers(): WorkerSummary[];
  activeCalls(): ActiveCall[];
  recentCalls(limit: number): EndedCall[];
  /** Every worker's messages of one call, in time order (for the ladder diagram). */
  callTrace(callId: string): Promise<TraceEntry[]>;
  /** Current registrations (from the store, written by the workers within ~25 ms). */
  registrations(): BindingRecord[];
  /** Removes one binding everywhere (every worker's location view and the store). */
  unregister(aor: string, contact: string): void;
  /** Tells every worker's DNS function that the store changed (extensions, DNS records). */
  storeChanged(): void;
  policySettings(): PolicySettings;
  /** Every policy key: in force, the file's, the group's or this appliance's, edited at run time where (issue 19). */
  policyEdits(): PolicySettingView[];
  /** A run-time edit of the group's policy settings (`{ key: number | null }`), checked as the file is; replicated. `by`: api or cli. */
  editPolicy(changes: unknown, by: string): PolicySettingView[];
  peers(): PeerRow[];
  /** This appliance's hand-off as its one owner knows it (peers/hand-off.ts). */
  handOffStatus(): HandOffStatus;
  /** Shedding in force now (the policy's last decision), null when every request is admitted. */
  sheddingStatus(): SheddingStatus | null;
  /** Manual hand-off / take-back (issue 5); resolves with what happened, each peer asked in `attempts`. */
  handOff(peer: string): Promise<HandOffResult>;
  takeBack(): Promise<HandOffResult>;
  /** The situation switch (issue 19): on hands new traffic to a peer until switched off; with a reason. */
  situation(on: boolean, reason: string): Promise<HandOffResult>;
  /** The schedule window open now and the situation switch (peers/traffic-moves.ts). */
  trafficMoves(): TrafficMovesStatus;
  /** Every trunk's registration state, as the registering worker last reported it (issue 14). */
  trunks(): TrunkStatus[];
  /** Re-reads and validates the config file and applies what changed (issue 17). */
  reload(): Promise<ReloadResult>;
  /** Busy lamps: every extension with a dialog now (an extension not listed is idle), docs/PBX.md. */
  lamps(): ExtensionLamp[];
  /**
   * Hangs up an active call (every dialog of this Call-ID): a BYE to each side from the proxy,
   * resolved once both are answered (or timed out); `by` names who asked, for the event log.
   */
  hangUp(callId: string, by: string): Promise<HangupAnswer>;
}
