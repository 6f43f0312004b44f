import type { BindingChange } from '../../system/store/index.ts';

/** What one appliance tells a peer about itself in every heartbeat. */
export interface PeerSummary {
  readonly name: string;
  readonly ts: number;
  /** The policy considers this appliance overloaded (recent samples over the threshold). */
  readonly overloaded: boolean;
  readonly workers: number;
  readonly activeCalls: number;
  /** This appliance has handed its new traffic to a peer. */
  readonly handedOff: boolean;
  /**
   * Mean CPU share (CPU time over wall time) of its running workers in the last sample, 0-1;
   * absent from older peers, which send it as `utilisation` (read with `peerCpuShare`).
   */
  readonly cpuShare?: number;
  /**
   * The same figure under its old name, sent for peers of an older version during an upgrade
   * (they read only this). FIXME: drop once no supported version reads it.
   */
  readonly utilisation?: number;
  /** Hottest CPU reading of its last sample, °C (null: no sensor); absent from older peers. For load-weighted SRV. */
  readonly temperature?: number | null;
}

/** A peer's mean CPU share from its summary, under the new name or the older `utilisation`. */
export function peerCpuShare(s: PeerSummary | null | undefined): number | undefined {
  return s?.cpuShare ?? s?.utilisation;
}

/** The CPU share as a summary carries it: both names, so that older peers still read it. */
export function cpuShareFields(cpuShare: number): Pick<PeerSummary, 'cpuShare' | 'utilisation'> {
  return { cpuShare, utilisation: cpuShare };
}

/** Bodies of the peer API (JSON over HTTP on the web port, HMAC-signed: peer-auth.ts). */
export interface HeartbeatRequest { readonly summary: PeerSummary }
export interface HeartbeatResponse { readonly summary: PeerSummary }
export interface BindingsRequest { readonly changes: readonly BindingChange[] }
/**
 * `rejected`: changes refused by the receiver's binding rules (peer-binding-rules.ts); `capped`:
 * removals of bindings the receiver never held, dropped at its tombstone bound (tombstone-cap.ts).
 */
export interface BindingsResponse { readonly applied: number; readonly rejected?: number; readonly capped?: number }
export interface HandOffResponse { readonly accepted: boolean; readonly reason: string }

/** Paths of the peer API. */
export const PEER_PATHS = {
  heartbeat: '/peer/heartbeat',
  bindings: '/peer/bindings',
  handOff: '/peer/hand-off',
  takeBack: '/peer/take-back',
} as const;

/** Largest batch of binding changes in one request (full sync is sent in such batches). */
export const SYNC_BATCH = 500;
