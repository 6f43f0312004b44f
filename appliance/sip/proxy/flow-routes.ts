import type { BindingRecord } from '../../../system/store/index.ts';
import { parseSourceKey, type FlowAddress } from '../../../system/store/source-key.ts';
import { uriHost } from '../message/uri.ts';
import { connectionKey } from '../transport/connection-key.ts';
import type { Destination } from '../transport/transport.ts';

/** The members of the peer group as a worker routes to them: our name and each peer's SIP address. */
export interface FlowMembers {
  /** This appliance's `name`. */
  readonly self: string;
  /** `[[peers]]`: name → the SIP address configured for it (`sip = "addr:port"`), and its TLS one (`sip_tls`) when given. */
  readonly peers: ReadonlyMap<string, FlowMember>;
}

/** One peer's SIP addresses. */
export interface FlowMember {
  readonly address: string;
  readonly port: number;
  readonly tls?: { readonly address: string; readonly port: number };
}

/**
 * How a request reaches a registered phone (issue 19, RFC 5626 §5.3, RFC 3327 §5.3):
 * - `direct`: by its binding's flow from here (binding-destination.ts): a UDP binding, one
 *   whose connection this appliance holds, one written before flow holders were recorded, or
 *   one whose holder is not among our peers;
 * - `holder`: through the member holding its TCP/TLS connection: to that member's SIP address
 *   with a Route naming it and the flow (`sip:<flow token>@<address>:<port>;lr`, pushed on top
 *   as RFC 3261 §16.6 step 7 allows); the holder pops it and sends on the connection. A
 *   connection of our own to the phone would be dropped by its NAT, or reach a phone that
 *   accepts no connections at all.
 */
export type BindingHop =
  | { readonly kind: 'direct' }
  | { readonly kind: 'holder'; readonly member: string; readonly route: string; readonly dest: Destination };

/** The hop for a binding (pure). */
export function bindingHop(b: BindingRecord, members: FlowMembers): BindingHop {
  const held = b.heldBy;
  if (!held || held.member === members.self) return { kind: 'direct' };
  const flow = parseSourceKey(b.source);
  if (!flow || flow.transport === 'udp') return { kind: 'direct' };
  const peer = members.peers.get(held.member);
  if (!peer) return { kind: 'direct' };
  // A TLS phone through the peer's TLS address when we know it (`[[peers]] sip_tls`): the hop
  // is as secure as the phone's own, and a sips: request may take it (RFC 5630 §3.1.1; a sips:
  // Route says TLS, RFC 3261 §19.1). The peer's certificate is checked as for any TLS connection
  // we open (`[sip.tls] verify`, `ca`).
  if (flow.transport === 'tls' && peer.tls) {
    return {
      kind: 'holder', member: held.member,
      route: `sips:${held.token}@${uriHost(peer.tls.address)}:${peer.tls.port};lr`,
      dest: { transport: 'tls', address: peer.tls.address, port: peer.tls.port },
    };
  }
  return {
    kind: 'holder', member: held.member,
    route: `sip:${held.token}@${uriHost(peer.address)}:${peer.port};lr`,
    // As a hand-off's forward goes (stages/hand-off.ts): the peer's SIP address over UDP.
    dest: { transport: 'udp', address: peer.address, port: peer.port },
  };
}

/** What the holder does with a request whose Route of ours carried a flow token (RFC 5626 §5.3.1). */
export type TokenHop =
  | { readonly kind: 'refuse'; readonly status: number; readonly reason: string; readonly forged: boolean }
  | { readonly kind: 'send'; readonly dest: Destination };

/** The inputs of `tokenHop`: who sent it, and the two look-ups it needs. */
export interface TokenHopInput {
  readonly token: string;
  /** The request came from one of our peers' SIP addresses. */
  readonly fromPeer: boolean;
  /** The flow the token names, when we issued it (security/flow-token.ts `read`). */
  readonly read: (token: string) => FlowAddress | undefined;
  /** The connection is open in this worker or a sibling (control/tcp-owners.ts). */
  readonly alive: (connection: string) => boolean;
}

/**
 * The holder's decision (pure). Only a peer may use a flow token: from anyone else the request
 * is refused (403) whatever the token, so a token seen on the wire buys a stranger nothing;
 * a token we did not issue: 403 (RFC 5626 §5.3.1); the flow gone: 430 Flow Failed (§5.3.1:
 * the authoritative proxy, our peer, tries its other flows; response-selection.ts makes it 480
 * for the caller); else the request goes over that connection and only over it (`flowOnly`:
 * never a new connection, §5.3).
 */
export function tokenHop(input: TokenHopInput): TokenHop {
  if (!input.fromPeer) return { kind: 'refuse', status: 403, reason: 'Flow tokens are for peers', forged: true };
  const flow = input.read(input.token);
  if (!flow || flow.transport === 'udp') return { kind: 'refuse', status: 403, reason: 'Invalid flow token', forged: true };
  const connection = connectionKey(flow.transport, flow.address, flow.port);
  if (!input.alive(connection)) return { kind: 'refuse', status: 430, reason: 'Flow Failed', forged: false };
  return { kind: 'send', dest: { transport: flow.transport, address: flow.address, port: flow.port, connection, flowOnly: true } };
}
