import type { Via } from 'sip';
import type { SipRequest } from '../message/types.ts';
import { parseSipUri } from '../message/uri.ts';
import type { DialogLeg, DialogLegs, RouteEntry } from './dialog-legs.ts';

/** One BYE the proxy sends to one side of a call it hangs up: the dialog's Call-ID, that side's leg, the CSeq to use. */
export interface ByeSpec {
  readonly callId: string;
  readonly leg: DialogLeg;
  /** Above the last CSeq the side we speak for used in the dialog (RFC 3261 §12.2.1.1). */
  readonly cseq: number;
}

/** The CSeq each side of a dialog last used in it, as far as the proxy saw (its requests through us). */
export interface DialogSequence {
  readonly caller: number;
  readonly callee: number;
}

/**
 * The two BYEs that hang up a call (pure): to the callee on the caller's behalf, with a CSeq
 * above the caller's last (a re-INVITE or UPDATE moved it), and to the caller on the callee's
 * behalf, above the callee's last. RFC 3261 §15.1.1: each is a new request within the dialog.
 */
export function byesFor(callId: string, legs: DialogLegs, seq: DialogSequence): { readonly caller: ByeSpec; readonly callee: ByeSpec } {
  return {
    callee: { callId, leg: legs.callee, cseq: seq.caller + 1 },
    caller: { callId, leg: legs.caller, cseq: seq.callee + 1 },
  };
}

/**
 * The BYE request for one side (RFC 3261 §12.2.1.1, pure): From is the other side (its URI and
 * tag), To this side, the Request-URI its remote target, Route the route set beyond us. A loose
 * router first (`lr`): the Request-URI stays the remote target; a strict router first: it gets
 * the Request-URI and the remote target goes to the end of Route. `via`: ours, with its branch.
 */
export function buildBye(spec: ByeSpec, via: Via): SipRequest {
  const { leg } = spec;
  const [first, ...rest] = leg.route;
  const strict = first !== undefined && !isLooseRouter(first);
  const uri = strict ? stripHeaders(first.uri) : leg.target;
  const route = strict ? [...rest, { uri: leg.target, params: {} }] : leg.route;
  const headers: SipRequest['headers'] = {
    via: [via],
    'max-forwards': '70',
    from: { uri: leg.local.uri, params: { tag: leg.local.tag } },
    to: { uri: leg.remote.uri, params: { tag: leg.remote.tag } },
    'call-id': spec.callId,
    cseq: { seq: spec.cseq, method: 'BYE' },
    ...(route.length > 0 ? { route: route.map((r) => ({ uri: r.uri, params: { ...r.params } })) } : {}),
    'content-length': 0,
  };
  return { method: 'BYE', uri, version: '2.0', headers, content: '' };
}

/**
 * Where the BYE goes first (§8.1.2): the first Route when there is one (loose or strict), else
 * the flow the dialog was made over (the phone behind NAT, its TCP connection).
 */
export function nextHopOf(leg: DialogLeg): { readonly kind: 'uri'; readonly uri: string } | { readonly kind: 'flow' } {
  return leg.route.length > 0 ? { kind: 'uri', uri: leg.route[0].uri } : { kind: 'flow' };
}

function isLooseRouter(r: RouteEntry): boolean {
  const u = parseSipUri(r.uri);
  return u !== undefined && 'lr' in u.params;
}

/** §12.2.1.1: a Route URI used as the Request-URI loses what a Request-URI may not carry (its headers part). */
function stripHeaders(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}
