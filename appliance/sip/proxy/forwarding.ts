import type { Via } from 'sip';
import type { SipRequest, Source } from '../message/types.ts';
import { parseSipUri, uriHost } from '../message/uri.ts';
import type { WireTransport } from '../transport/transport.ts';
import { recordRoutes } from './record-route.ts';

/** Methods that create a dialog, so the proxy stays in its path by Record-Route (RFC 3261 §16.6 step 4). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

/** Our identity in the messages we forward. */
export interface ForwardIdentity {
  /** Our address on the outbound leg: the family the request leaves on (Via, Record-Route). */
  readonly advertise: string;
  /**
   * Our address on the inbound leg (the family it came over); absent: the same. When the two
   * differ (IPv6 caller, IPv4 callee) Record-Route doubles (record-route.ts, RFC 5658 §4).
   */
  readonly inboundAdvertise?: string;
  /** Shared port, for Record-Route: any worker can take the in-dialog requests. */
  readonly port: number;
  /** The shared TLS port (Record-Route towards a TLS leg); undefined when TLS is off. */
  readonly tlsPort?: number;
  /** This worker's own port, for Via: responses come back to the worker holding the transaction. */
  readonly viaPort: number;
  /** The dialog token our Record-Route carries (security/dialog-token.ts). */
  readonly dialogToken: (callId: string, fromTag: string) => string;
}

/**
 * Marks where a request really came from on its top Via (RFC 3261 §18.2.1 received,
 * RFC 3581 §4 rport), so responses, also stateless ones, find their way back.
 */
export function stampReceived(req: SipRequest, source: Source): void {
  const via = req.headers.via[0];
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  // A received= the client wrote itself would steer our responses to another host (reflection):
  // only the packet's real source counts.
  delete via.params.received;
  if (host !== source.address || source.transport !== 'udp') via.params.received = source.address;
  if ('rport' in via.params || source.transport !== 'udp') via.params.rport = String(source.port);
}

/**
 * Builds the request to send to one target (RFC 3261 §16.6): copy, new Request-URI,
 * Max-Forwards decremented, Record-Route for dialog-creating requests (doubled when the
 * transport changes between the legs, record-route.ts), our Via on top. `inbound`: the
 * transport the request came over; `pushRoute`: a Route to put on top (step 7).
 */
export function forwardRequest(req: SipRequest, uri: string, branch: string, transport: WireTransport, id: ForwardIdentity, inbound: WireTransport = transport, pushRoute?: string): SipRequest {
  const headers = { ...req.headers };
  // §16.6 step 7: a Route of our own policy on top (the peer holding the callee's flow, flow-routes.ts).
  if (pushRoute) headers.route = [{ uri: pushRoute, params: {} }, ...(req.headers.route ?? [])];
  const mf = headers['max-forwards'];
  headers['max-forwards'] = String(mf === undefined ? 70 : Math.max(0, Number(mf) - 1));
  headers.via = [ourVia(transport, branch, id), ...req.headers.via];
  if (DIALOG_CREATING.has(req.method) && !req.headers.to.params.tag) {
    const token = id.dialogToken(String(req.headers['call-id']), String(req.headers.from.params.tag ?? ''));
    const side = (t: WireTransport, host: string) => ({ transport: t, host, port: t === 'tls' ? id.tlsPort ?? id.port : id.port });
    const ours = recordRoutes(side(inbound, id.inboundAdvertise ?? id.advertise), side(transport, id.advertise), token, /^sips:/i.test(req.uri));
    headers['record-route'] = [...ours.map((u) => ({ uri: u, params: {} })), ...(req.headers['record-route'] ?? [])];
  }
  let ruri = uri;
  const route = headers.route;
  if (route && route.length > 0 && !('lr' in (parseSipUri(String(route[0].uri))?.params ?? { lr: null }))) {
    // §16.6 step 6: the next hop is a strict router: it gets the Request-URI slot, and the
    // Request-URI goes to the end of the Route set.
    ruri = String(route[0].uri);
    headers.route = [...route.slice(1), { uri, params: {} }];
  }
  return { method: req.method, uri: ruri, version: '2.0', headers, content: req.content };
}

/** The Via parameter naming, on a stream, the worker whose client transaction waits (its Via port). */
export const WORKER_PORT_PARAM = 'wport';

/**
 * Our Via (RFC 3261 §16.6 step 8). Over UDP its port is this worker's own, where the response
 * comes straight back. Over TCP and TLS the sent-by is the shared listener of that transport
 * (RFC 3261 §18.2.2: where a response goes when the connection is gone; belle-sip 5.1, i.e.
 * linphone, sends its responses to the sent-by and opens a new connection when it has none
 * there, so a UDP port in a TLS Via lost every answer), and the worker's own port travels in
 * `wport`, for the worker holding the connection to hand the response on.
 */
export function ourVia(transport: WireTransport, branch: string, id: Pick<ForwardIdentity, 'advertise' | 'port' | 'tlsPort' | 'viaPort'>): Via {
  const host = uriHost(id.advertise);
  if (transport === 'udp') return { version: '2.0', protocol: 'UDP', host, port: id.viaPort, params: { branch } };
  const port = transport === 'tls' ? id.tlsPort ?? id.port : id.port;
  const params: Record<string, string> = { branch };
  if (port !== id.viaPort) params[WORKER_PORT_PARAM] = String(id.viaPort);
  return { version: '2.0', protocol: transport.toUpperCase(), host, port, params };
}

/** CANCEL for a forwarded INVITE (RFC 3261 §9.1): same R-URI, top Via, Call-ID, To, From, Route. */
export function buildCancel(invite: SipRequest): SipRequest {
  const h = invite.headers;
  const headers = {
    via: [h.via[0]], to: h.to, from: h.from, 'call-id': h['call-id'],
    cseq: { seq: h.cseq.seq, method: 'CANCEL' }, 'max-forwards': '70',
    ...(h.route ? { route: h.route } : {}),
  } as SipRequest['headers'];
  return { method: 'CANCEL', uri: invite.uri, version: '2.0', headers, content: '' };
}
