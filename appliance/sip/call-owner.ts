import type { RequestState } from './pipeline/context.ts';

/**
 * Whether the record of the call a request makes is another member's (issue 19, docs/PEERS.md
 * "One call record per call"), pure. The call passes the proxies of two members of the peer
 * group and records do not replicate, so one of them writes it: the member that routes the call
 * (locates the callee, applies the call plan, the dial plan and the trunks: what the record
 * says), as an authoritative proxy does and an edge proxy does not (RFC 5626 §3.1). A member
 * that only passes the call on marks its dialog events `transit` (no record; its calls view and
 * busy lamps still follow the call, and its admin can hang it up):
 * - `flowToken`: we hold the TCP/TLS flow the peer's INVITE came for (RFC 5626 §5.3); the peer
 *   located the phone, so the call and our own answers (a 430) are its to record;
 * - `handOff` `redirect`: we handed new traffic off and answered 302; the caller's next INVITE
 *   goes to the peer, which records it (our 302 is no call of its own);
 * - `handOff` `forward`: we forwarded the INVITE to the peer, which routes it and records it,
 *   as long as `peerAnswered` (any response to the forward came back, a 100 Trying at least,
 *   RFC 3261 §16.2): a forward the peer never answered (it is down, not yet noticed) got to no
 *   record but ours, so the timeout we answer is ours to record.
 */
export function recordedByPeer(ctx: Pick<RequestState, 'flowToken' | 'handOff'>, peerAnswered: boolean): boolean {
  if (ctx.flowToken !== undefined) return true;
  if (ctx.handOff === 'redirect') return true;
  return ctx.handOff === 'forward' && peerAnswered;
}
