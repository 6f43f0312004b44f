/**
 * What the receive path needs to know of a datagram before any work is spent on it (issue 12:
 * a saturated worker decides where a request goes for a fraction of what decoding costs): is
 * it a request, its method, its Call-ID, and whether its To carries a tag (inside a dialog).
 * A scan of the header section only, not a parse: anything it cannot read is `undefined`, and
 * the datagram then takes the normal path (the decoder answers what is malformed).
 */
export interface DatagramPeek {
  readonly method: string;
  readonly callId: string;
  /** The To header field has a tag parameter (RFC 3261 §12.2: a request inside a dialog). */
  readonly inDialog: boolean;
}

/** Header sections longer than this are not peeked (the decoder deals with them). */
const MAX_SCAN = 8192;
// RFC 3261 §7.3.3 compact forms: i = Call-ID, t = To. Header names are case-insensitive.
const CALL_ID = /\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)/i;
const TO = /\r\n(?:to|t)[ \t]*:([^\r\n]*)/i;
const TAG = /;[ \t]*tag[ \t]*=/i;

/** Method, Call-ID and dialog state of a SIP request datagram; undefined for a response or what cannot be read. */
export function peekRequest(data: Buffer): DatagramPeek | undefined {
  const head = data.toString('latin1', 0, Math.min(data.length, MAX_SCAN));
  const end = head.indexOf('\r\n\r\n');
  // Header lines folded onto the next line (RFC 3261 §7.3.1) are joined first.
  const section = (end < 0 ? head : head.slice(0, end + 2)).replace(/\r\n[ \t]+/g, ' ');
  const firstSpace = section.indexOf(' ');
  if (firstSpace <= 0 || section.startsWith('SIP/')) return undefined;
  const method = section.slice(0, firstSpace);
  if (!/^[A-Z]+$/.test(method)) return undefined;
  const callId = CALL_ID.exec(section)?.[1]?.trim();
  const to = TO.exec(section)?.[1];
  if (!callId || to === undefined) return undefined;
  return { method, callId, inDialog: TAG.test(to) };
}
