import type { ErrorCode } from './appliance-error.ts';

/** How one error code shows on each protocol the appliance speaks. */
export interface ProtocolStatus {
  /** SIP status code (RFC 3261 §21). */
  readonly sip: number;
  /** DNS RCODE (RFC 1035 §4.1.1, RFC 6895). */
  readonly dnsRcode: number;
  /** HTTP status for the admin API, the peer API and the command channel (RFC 9110 §15). */
  readonly http: number;
}

/** DNS RCODEs (RFC 1035 §4.1.1). */
const FORMERR = 1;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const NOTIMP = 4;
const REFUSED = 5;

/**
 * The single mapping from error codes to protocol statuses: every edge (SIP replies, DNS
 * answers, the admin and peer APIs, the command channel) takes its status from here, so one
 * failure reads the same everywhere. test/system/errors/status-map.test.ts tables every code.
 */
export const STATUS_MAP: Readonly<Record<ErrorCode, ProtocolStatus>> = {
  'config-invalid': { sip: 500, dnsRcode: SERVFAIL, http: 500 },
  usage: { sip: 400, dnsRcode: FORMERR, http: 400 },
  'invalid-input': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'weak-password': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'not-found': { sip: 404, dnsRcode: NXDOMAIN, http: 404 },
  conflict: { sip: 409, dnsRcode: REFUSED, http: 409 },
  unauthenticated: { sip: 401, dnsRcode: REFUSED, http: 401 },
  forbidden: { sip: 403, dnsRcode: REFUSED, http: 403 },
  // RFC 3261 §21.4.6 / RFC 9110 §15.5.6: the method is known, not allowed here (with Allow).
  'method-not-allowed': { sip: 405, dnsRcode: NOTIMP, http: 405 },
  // RFC 9110 §15.5.20: a Host this listener does not serve.
  misdirected: { sip: 400, dnsRcode: REFUSED, http: 421 },
  'malformed-message': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'version-not-supported': { sip: 505, dnsRcode: FORMERR, http: 505 },
  'method-not-implemented': { sip: 501, dnsRcode: NOTIMP, http: 501 },
  'unsupported-uri-scheme': { sip: 416, dnsRcode: FORMERR, http: 400 },
  'bad-extension': { sip: 420, dnsRcode: FORMERR, http: 400 },
  'loop-detected': { sip: 482, dnsRcode: SERVFAIL, http: 508 },
  'too-many-hops': { sip: 483, dnsRcode: SERVFAIL, http: 508 },
  'interval-too-brief': { sip: 423, dnsRcode: FORMERR, http: 400 },
  // RFC 3261 §21.4.7 / RFC 9110 §15.5.7: nothing in a form the asker accepts (Accept).
  'not-acceptable': { sip: 406, dnsRcode: NOTIMP, http: 406 },
  'payload-too-large': { sip: 513, dnsRcode: FORMERR, http: 413 },
  // RFC 6585 §4 (HTTP 429); SIP has no 429: 503 with Retry-After (RFC 3261 §21.5.4).
  'rate-limited': { sip: 503, dnsRcode: REFUSED, http: 429 },
  overloaded: { sip: 503, dnsRcode: SERVFAIL, http: 503 },
  // Something the request needs is down (a trunk whose registration failed), not our load.
  unavailable: { sip: 503, dnsRcode: SERVFAIL, http: 503 },
  'store-failure': { sip: 500, dnsRcode: SERVFAIL, http: 500 },
  internal: { sip: 500, dnsRcode: SERVFAIL, http: 500 },
};

/** Status for an error code on every protocol. */
export function statusFor(code: ErrorCode): ProtocolStatus {
  return STATUS_MAP[code];
}

/** The seconds an error says to wait before trying again (`details.retryAfter`), for Retry-After. */
export function retryAfterOf(details: Readonly<Record<string, unknown>>): number | undefined {
  const v = details.retryAfter;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}
