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
  /** Mean utilisation (ELU) of its running workers in the last sample, 0-1; absent from older peers. */
  readonly utilisation?: number;
  /** Hottest CPU reading of its last sample, °C (null: no sensor); absent from older peers. For load-weighted SRV. */
  readonly temperature?: number | null;
}

/** Bodies of the peer API (JSON over HTTP on the web port, HMAC-signed: peer-auth.ts). */
export interface HeartbeatRequest { readonly summary: PeerSummary }
export interface HeartbeatResponse { readonly summary: PeerSummary }
export interface BindingsRequest { readonly changes: readonly BindingChange[] }
/** `rejected`: changes refused by the receiver's binding rules (peer-binding-rules.ts). */
export interface BindingsResponse { readonly applied: number; readonly rejected?: number }
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
