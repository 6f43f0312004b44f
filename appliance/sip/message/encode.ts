import sip from 'sip';
import type { SipRequest, SipResponse } from './types.ts';

/** Server header value for responses the appliance generates. */
export const SERVER_NAME = 'office-sip-appliance/0.1';

/** Serialises a message to wire bytes (header text is latin1/binary, as decoded). */
export function encodeMessage(msg: SipRequest | SipResponse): Buffer {
  if ('preEncoded' in msg && msg.preEncoded) return msg.preEncoded;
  const rr = msg.headers['record-route'];
  if (!rr || rr.length < 2) return Buffer.from(sip.stringify(msg), 'binary');
  // One Record-Route line per entry (RFC 3261 §7.3.1: the same as one comma-separated line).
  // linphone 5.1 (belle-sip) copies a comma-separated Record-Route into its responses with the
  // last entry twice, so its caller's route set held our entry three times and its BYE, after
  // we popped our two, was routed back to us (seen with RFC 5658's doubled entries, TLS ↔ UDP).
  const lines = rr.map(recordRouteValue).join('\r\nRecord-Route: ');
  return Buffer.from(sip.stringify({ ...msg, headers: { ...msg.headers, 'record-route': lines } } as unknown as SipRequest), 'binary');
}

/** One Record-Route value as the `sip` package writes a name-addr (`<uri>;params`). */
function recordRouteValue(e: { name?: string; uri: unknown; params: Record<string, string | null> }): string {
  const params = Object.entries(e.params ?? {}).map(([k, v]) => `;${k}${v ? `=${v}` : ''}`).join('');
  return `${e.name ? `${e.name} ` : ''}<${sip.stringifyUri(e.uri as string)}>${params}`;
}

/** Default reason phrases (RFC 3261 §21). */
const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 200: 'OK', 202: 'Accepted', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension',
  423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 487: 'Request Terminated', 500: 'Server Internal Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 505: 'Version Not Supported', 604: 'Does Not Exist Anywhere',
};

/** Reason phrase for a status code. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Session Progress' : status < 300 ? 'OK' : 'Error');
}

/**
 * Builds a response to `req` (RFC 3261 §8.2.6): copies Via, From, To, Call-ID, CSeq; adds a
 * To tag to final non-100 responses when the request had none.
 */
export function buildResponse(
  req: SipRequest, status: number, reason = reasonPhrase(status),
  headers: Record<string, unknown> = {}, toTag?: string,
): SipResponse {
  const to = req.headers.to ? { ...req.headers.to, params: { ...req.headers.to.params } } : req.headers.to;
  if (to && status > 100 && !to.params.tag && toTag) to.params.tag = toTag;
  const res = {
    status, reason, version: '2.0',
    headers: {
      via: req.headers.via, to, from: req.headers.from, 'call-id': req.headers['call-id'],
      cseq: req.headers.cseq, ...headers,
    },
  } as unknown as SipResponse;
  if (status !== 100) res.headers.server = SERVER_NAME;
  return res;
}
