import type { ErrorCode } from './appliance-error.ts';

/** How one error code shows on each protocol the appliance speaks. */
export interface ProtocolStatus {
  /** SIP status code (RFC 3261 §21). */
  readonly sip: number;
  /** DNS RCODE (RFC 1035 §4.1.1, RFC 6895). */
  readonly dnsRcode: number;
  /** HTTP status for the admin and peer API. */
  readonly http: number;
}

const SERVFAIL = 2;
const FORMERR = 1;
const NOTIMP = 4;
const REFUSED = 5;

/** The single mapping from error codes to protocol statuses. */
export const STATUS_MAP: Readonly<Record<ErrorCode, ProtocolStatus>> = {
  'config-invalid': { sip: 500, dnsRcode: SERVFAIL, http: 500 },
  usage: { sip: 400, dnsRcode: FORMERR, http: 400 },
  'invalid-input': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'weak-password': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'not-found': { sip: 404, dnsRcode: 3, http: 404 },
  conflict: { sip: 409, dnsRcode: REFUSED, http: 409 },
  unauthenticated: { sip: 401, dnsRcode: REFUSED, http: 401 },
  forbidden: { sip: 403, dnsRcode: REFUSED, http: 403 },
  'malformed-message': { sip: 400, dnsRcode: FORMERR, http: 400 },
  'version-not-supported': { sip: 505, dnsRcode: FORMERR, http: 505 },
  'method-not-implemented': { sip: 501, dnsRcode: NOTIMP, http: 501 },
  'unsupported-uri-scheme': { sip: 416, dnsRcode: FORMERR, http: 400 },
  'bad-extension': { sip: 420, dnsRcode: FORMERR, http: 400 },
  'loop-detected': { sip: 482, dnsRcode: SERVFAIL, http: 508 },
  'too-many-hops': { sip: 483, dnsRcode: SERVFAIL, http: 508 },
  'interval-too-brief': { sip: 423, dnsRcode: FORMERR, http: 400 },
  'payload-too-large': { sip: 513, dnsRcode: FORMERR, http: 413 },
  overloaded: { sip: 503, dnsRcode: SERVFAIL, http: 503 },
  'store-failure': { sip: 500, dnsRcode: SERVFAIL, http: 500 },
  internal: { sip: 500, dnsRcode: SERVFAIL, http: 500 },
};

/** Status for an error code on the given protocol. */
export function statusFor(code: ErrorCode): ProtocolStatus {
  return STATUS_MAP[code];
}
