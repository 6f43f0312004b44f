import type { SipRequest, SipResponse, Source } from '../message/types.ts';
import { parseSipUri } from '../message/uri.ts';
import { reconnectTo } from '../registrar/binding-destination.ts';
import { connectionKey } from '../transport/connection-key.ts';
import type { Destination } from '../transport/transport.ts';

/** A name-addr's URI and its tag, as one side of a dialog names a party (RFC 3261 §12.1). */
export interface Party {
  readonly uri: string;
  readonly tag: string;
}

/** One Route entry: its URI and header parameters (RFC 3261 §20.34). */
export interface RouteEntry {
  readonly uri: string;
  readonly params: Readonly<Record<string, string | null>>;
}

/**
 * What the proxy needs to send a request to one side of a dialog as if it were the other side
 * (RFC 3261 §12.2.1.1), captured where the dialog was made: the worker that forwarded the 2xx
 * of the initial INVITE sees the INVITE as the caller sent it, as it went to the callee, the
 * 2xx and the flow of each side; no worker sees these again.
 */
export interface DialogLeg {
  /** Who the request is from: the other side as this side knows it (its URI and tag). */
  readonly local: Party;
  /** This side: its URI and tag as it knows itself (the request's To). */
  readonly remote: Party;
  /** This side's remote target: its Contact (the caller's from the INVITE, the callee's from the 2xx, §12.1.1/§12.1.2). */
  readonly target: string;
  /** The route set towards this side beyond our own Record-Route entries, next hop first. */
  readonly route: readonly RouteEntry[];
  /**
   * How this side's next hop was reached when the dialog was made: the caller's the flow its
   * INVITE came over (the source address behind NAT, its TCP connection), the callee's the
   * destination its INVITE went to. Used when `route` is empty (else the first Route is the hop).
   */
  readonly flow: Destination;
}

/** The two sides of a call: the request to the caller goes from the callee, and the other way round. */
export interface DialogLegs {
  readonly caller: DialogLeg;
  readonly callee: DialogLeg;
}

/**
 * The legs of a dialog made by a 2xx to an initial INVITE (pure). `invite`: as the caller sent
 * it (after Route processing); `forwarded`: as it went to the callee (its From and To are the
 * callee's view, a trunk may have rewritten them); `source`: where the INVITE came from;
 * `calleeDest`: where the forwarded INVITE went; `isUs`: whether a Record-Route URI names us.
 *
 * The 2xx's Record-Route lists the proxies nearest the callee first (§16.6 step 4, §12.1.2);
 * ours is one entry, or two (RFC 5658 double Record-Route). The caller's route set is the list
 * reversed (§12.1.2), so towards the callee the hops beyond us are the entries above ours,
 * nearest us first; towards the caller, the callee's route set (the list in order, §12.1.1)
 * beyond us: the entries below ours. Undefined without a Contact on either side (no remote target).
 */
export function dialogLegs(
  invite: SipRequest, forwarded: SipRequest, answer: SipResponse, source: Source, calleeDest: Destination,
  isUs: (host: string, port: number | undefined) => boolean,
): DialogLegs | undefined {
  const callerContact = firstContact(invite);
  const calleeContact = firstContact(answer);
  const toTag = answer.headers.to?.params?.tag;
  const fromTag = invite.headers.from.params.tag;
  if (!callerContact || !calleeContact || !toTag || !fromTag) return undefined;
  const rr = (answer.headers['record-route'] ?? []).map((e) => ({ uri: String(e.uri), params: { ...e.params } }));
  const ours = rr.flatMap((e, i) => {
    const u = parseSipUri(e.uri);
    return u && isUs(u.host, u.port) ? [i] : [];
  });
  const first = ours.length > 0 ? ours[0] : rr.length;
  const last = ours.length > 0 ? ours[ours.length - 1] : rr.length - 1;
  const fwdFromTag = String(forwarded.headers.from.params.tag ?? fromTag);
  return {
    callee: {
      local: { uri: forwarded.headers.from.uri, tag: fwdFromTag },
      remote: { uri: forwarded.headers.to.uri, tag: String(toTag) },
      target: calleeContact,
      route: rr.slice(0, first).reverse(),
      flow: calleeDest,
    },
    caller: {
      local: { uri: invite.headers.to.uri, tag: String(toTag) },
      remote: { uri: invite.headers.from.uri, tag: String(fromTag) },
      target: callerContact,
      route: rr.slice(last + 1),
      flow: flowOf(source, callerContact),
    },
  };
}

/**
 * The way back to where a request came from: UDP to its source address and port, from the
 * shared port (the NAT pinhole the phone opened, RFC 4787 §5); a stream over its connection,
 * a new one to the Contact's address when that connection is gone (registrar/binding-destination.ts
 * `reconnectTo`, as for a registered phone).
 */
export function flowOf(source: Source, contact: string): Destination {
  if (source.transport === 'udp') return { transport: 'udp', address: source.address, port: source.port, fromShared: true };
  const connection = source.connection ?? connectionKey(source.transport, source.address, source.port);
  return { transport: source.transport, ...reconnectTo(contact, source), connection };
}

function firstContact(msg: SipRequest | SipResponse): string | undefined {
  const c = msg.headers.contact;
  return Array.isArray(c) && c[0] && typeof c[0].uri === 'string' ? c[0].uri : undefined;
}
