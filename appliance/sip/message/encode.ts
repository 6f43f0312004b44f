import type { SipRequest, SipResponse } from './types.ts';
import { headerRows, uriText } from './header-text.ts';

/** Server header value for responses the appliance generates. */
export const SERVER_NAME = 'office-sip-appliance/0.1';

/**
 * Serialises a message to wire bytes: the one place every SIP message the appliance sends is
 * written (transactions, stateless replies, forwarded requests; forwarded responses travel as
 * their received bytes, response-wire.ts). It replaced `sip.stringify` (issue 16: ~10 % of a
 * relaying worker's CPU); the `sip` package is no longer used for writing messages.
 *
 * - Start line: `Method SP Request-URI SP SIP/2.0` (RFC 3261 §7.1) or `SIP/2.0 SP Status-Code
 *   SP Reason-Phrase` (§7.2); a missing reason phrase becomes the standard one (§21).
 * - Headers in the order of `msg.headers` (§7.3; decode.ts keeps the received order), each as
 *   header-text.ts writes it, in full form (§7.3.3: decoding has already expanded compact forms,
 *   so a forwarded `v:` or `l:` leaves as `Via:` / `Content-Length:`).
 * - Content-Length is always written (mandatory on streams, §18.3, §20.14) and always the
 *   number of body octets that follow (§7.4.1), whatever `headers['content-length']` held; it
 *   stays where the message had it, else it comes last. `msg` is not changed.
 * - Text: the message's strings are octets, one character per byte (latin1), as decode.ts
 *   produces them, so received bytes, UTF-8 included, go out unchanged. A string holding a
 *   character above U+00FF cannot be octets: it is JavaScript text, written as UTF-8 (with
 *   Content-Length counting those bytes). Code building a body from text with other non-ASCII
 *   characters converts it first: `Buffer.from(text, 'utf8').toString('latin1')`.
 */
export function encodeMessage(msg: SipRequest | SipResponse): Buffer {
  if ('preEncoded' in msg && msg.preEncoded) return msg.preEncoded;
  const text = messageText(msg);
  const bytes = Buffer.from(text, 'latin1');
  // Most messages are ASCII: one native length count (on the text Buffer.from has just
  // flattened) settles it without a scan.
  if (Buffer.byteLength(text, 'utf8') === text.length || !NOT_OCTETS.test(text)) return bytes;
  return Buffer.from(messageText(asOctets(msg) as SipRequest | SipResponse), 'latin1');
}

/** A character that cannot be an octet. */
const NOT_OCTETS = /[^\u0000-\u00ff]/;

/** The message as text of octets (see encodeMessage). */
function messageText(m: SipRequest | SipResponse): string {
  const c = m.content as unknown;
  const body = typeof c === 'string' ? c : Buffer.isBuffer(c) ? c.toString('latin1') : '';
  const version = m.version || '2.0';
  const status = (m as SipResponse).status;
  let s = status !== undefined
    ? `SIP/${version} ${status} ${(m as SipResponse).reason ?? reasonPhrase(status)}\r\n`
    : `${(m as SipRequest).method} ${uriText((m as SipRequest).uri)} SIP/${version}\r\n`;
  const h = m.headers as Record<string, unknown>;
  let lengthWritten = false;
  for (const name in h) {
    if (name === 'content-length') {
      s += `Content-Length: ${body.length}\r\n`;
      lengthWritten = true;
    } else s += headerRows(name, h[name]);
  }
  if (!lengthWritten) s += `Content-Length: ${body.length}\r\n`;
  return `${s}\r\n${body}`;
}

/** A copy of a message part with every JavaScript-text string made UTF-8 octets (see encodeMessage). */
function asOctets(v: unknown): unknown {
  if (typeof v === 'string') return NOT_OCTETS.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;
  if (Array.isArray(v)) return v.map(asOctets);
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) out[k] = asOctets((v as Record<string, unknown>)[k]);
  return out;
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
