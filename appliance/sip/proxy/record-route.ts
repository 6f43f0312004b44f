import { uriHost } from '../message/uri.ts';
import { DIALOG_TOKEN_PARAM } from '../security/dialog-token.ts';
import type { WireTransport } from '../transport/transport.ts';

/** One side of the proxy as a Record-Route names it: how and where that side reaches us. */
export interface RouteInterface {
  readonly transport: WireTransport;
  /** The address we advertise on that side (an IPv4 or IPv6 address, or a host name). */
  readonly host: string;
  /** The shared port of that transport (UDP/TCP: the SIP port, TLS: the TLS port). */
  readonly port: number;
}

/**
 * The Record-Route entries for a dialog-creating request (RFC 3261 §16.6 step 4), top first.
 * One entry when both legs reach us the same way; two when the transport class (TLS or not)
 * or the address changes between them (RFC 5658 §4 "double Record-Routing"): the top entry
 * names the outbound interface (the callee's side uses it), the second the inbound one (the
 * caller's side: its route set is the reverse). UDP and TCP share the SIP port, so a `sip:` URI
 * without transport serves both and they do not double. A TLS side is named `sips:` when the
 * request was (RFC 5630 §3.2: a SIPS dialog stays SIPS), else `sip:…;transport=tls`.
 * Every entry carries the dialog token (security/dialog-token.ts), so either one authenticates.
 */
export function recordRoutes(inbound: RouteInterface, outbound: RouteInterface, token: string, sips = false): string[] {
  const out = entry(outbound, token, sips);
  const inn = entry(inbound, token, sips);
  return out === inn ? [out] : [out, inn];
}

function entry(side: RouteInterface, token: string, sips: boolean): string {
  const where = `${uriHost(side.host)}:${side.port}`;
  if (side.transport !== 'tls') return `sip:${where};lr;${DIALOG_TOKEN_PARAM}=${token}`;
  return sips ? `sips:${where};lr;${DIALOG_TOKEN_PARAM}=${token}` : `sip:${where};transport=tls;lr;${DIALOG_TOKEN_PARAM}=${token}`;
}
