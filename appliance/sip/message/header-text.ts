import type { Uri, Via } from 'sip';

/**
 * Header field rows for the values in `msg.headers` (RFC 3261 §7.3: `field-name: field-value`),
 * the serialising half of header-values.ts: the shapes decode.ts and the stages build (Via
 * objects, name-addrs, CSeq, digest parameter lists) become text; a string or number is written
 * exactly as it is (unknown and opaque headers pass through untouched). Each writer returns
 * whole rows, CRLF included, or '' when there is nothing to write.
 */

type Params = Readonly<Record<string, string | number | null | undefined>> | undefined;
interface NameAddr {
  readonly name?: string;
  readonly uri: unknown;
  readonly params?: Params;
}
type Writer = (value: any, label: string) => string;

/**
 * `;name[=value]` per parameter (RFC 3261 §19.1.1 uri-parameters, §20.10 contact-params, §20.42
 * via-params); null, undefined or '' is a parameter without a value (`;lr`). Note: the `sip`
 * package also wrote a number 0 as a bare `;expires`; here it is `;expires=0`.
 */
export function paramsText(params: Params): string {
  let s = '';
  if (params) {
    for (const n in params) {
      const v = params[n];
      s += v === null || v === undefined || v === '' ? `;${n}` : `;${n}=${v}`;
    }
  }
  return s;
}

/** A URI as text: kept as it is when it is text; a parsed `sip` Uri object is written back (RFC 3261 §19.1.1). */
export function uriText(uri: unknown): string {
  if (typeof uri === 'string') return uri;
  const u = uri as Uri | undefined;
  if (!u || typeof u !== 'object') return String(uri ?? '');
  let s = `${u.schema || 'sip'}:`;
  if (u.user) s += u.password ? `${u.user}:${u.password}@` : `${u.user}@`;
  s += u.host;
  if (u.port) s += `:${u.port}`;
  s += paramsText(u.params);
  if (u.headers) {
    const h = Object.keys(u.headers).map((k) => `${k}=${u.headers![k]}`).join('&');
    if (h) s += `?${h}`;
  }
  return s;
}

/**
 * `[display-name] <uri> *(;param)`: always the name-addr form (RFC 3261 §20.10, §20.20, §20.39),
 * since a bare addr-spec with `;` or `?` would move URI parameters into header parameters. The
 * display name is written as it was received (quoted or a token sequence).
 */
export function nameAddrText(e: NameAddr | string): string {
  if (typeof e === 'string') return e;
  return `${e.name ? `${e.name} ` : ''}<${uriText(e.uri)}>${paramsText(e.params)}`;
}

/** One Via value (RFC 3261 §20.42: `SIP/2.0/transport sent-by *(;via-params)`). */
function viaText(v: Via): string {
  return `SIP/${v.version || '2.0'}/${String(v.protocol).toUpperCase()} ${v.host}${v.port ? `:${v.port}` : ''}${paramsText(v.params)}`;
}

/** `scheme name=value,name=value` of a challenge or credentials (RFC 3261 §25.1, §22.4). */
function authText(a: Readonly<Record<string, string | undefined>> | string): string {
  if (typeof a === 'string') return a;
  let s = '';
  for (const n in a) {
    if (n === 'scheme' || a[n] === undefined) continue;
    s += s ? `,${n}=${a[n]}` : `${n}=${a[n]}`;
  }
  return a.scheme ? `${a.scheme} ${s}` : s;
}

const list = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? v : [v as T]);

/** All values in one row, comma-separated (RFC 3261 §7.3.1); nothing for an empty list. */
const oneRow = (text: (x: any) => string): Writer => (v, label) => {
  const xs = list(v);
  if (xs.length === 0) return '';
  let s = `${label}: ${text(xs[0])}`;
  for (let i = 1; i < xs.length; i++) s += `, ${text(xs[i])}`;
  return `${s}\r\n`;
};
/** One row per value (RFC 3261 §7.3.1: the same as one comma-separated row). */
const rowEach = (text: (x: any) => string): Writer => (v, label) => {
  let s = '';
  for (const x of list(v)) s += `${label}: ${text(x)}\r\n`;
  return s;
};

const nameAddrRow = oneRow(nameAddrText);
const otherRows = rowEach((x) => (typeof x === 'object' && x && 'uri' in x ? nameAddrText(x) : String(x)));

const WRITERS: Record<string, Writer> = {
  // One row per Via, as received and as most stacks write them; a Via without a host is left out.
  via: (v: Via | Via[], label) => {
    let s = '';
    for (const x of list(v)) if (x.host) s += `${label}: ${viaText(x)}\r\n`;
    return s;
  },
  to: (v, label) => `${label}: ${nameAddrText(v)}\r\n`,
  from: (v, label) => `${label}: ${nameAddrText(v)}\r\n`,
  'refer-to': (v, label) => `${label}: ${nameAddrText(v)}\r\n`,
  // "Contact: *" (RFC 3261 §10.2.2). An empty list writes nothing (the `sip` package wrote "*").
  contact: (v, label) => (v === '*' ? `${label}: *\r\n` : nameAddrRow(v, label)),
  route: nameAddrRow,
  path: nameAddrRow,
  // One row per entry: linphone 5.1 (belle-sip) copies a comma-separated Record-Route into its
  // responses with the last entry twice, so its caller's route set held our entry three times
  // and its BYE, after we popped our two, was routed back to us (RFC 5658's doubled entries).
  'record-route': rowEach(nameAddrText),
  cseq: (v: { seq: number; method: string }, label) => `${label}: ${v.seq} ${v.method}\r\n`,
  // RFC 3261 §7.3.1: these four do not follow the comma-list grammar and MUST NOT be combined
  // into one row, so each challenge or credentials gets its own.
  'www-authenticate': rowEach(authText),
  'proxy-authenticate': rowEach(authText),
  authorization: rowEach(authText),
  'proxy-authorization': rowEach(authText),
  'authentication-info': (v, label) => `${label}: ${authText(v)}\r\n`,
};

/** Names whose usual spelling is not plain capitalisation (header names are case-insensitive, §7.3.1). */
const SPELLED: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
  rack: 'RAck', rseq: 'RSeq', 'sip-etag': 'SIP-ETag', 'sip-if-match': 'SIP-If-Match',
};
const LABELS = new Map<string, string>();
const MAX_LABELS = 512;

/**
 * The written name of a header: the full form (RFC 3261 §7.3.3: compact and full forms are
 * equivalent, and decode.ts has already expanded any compact form it read), capitalised.
 */
export function headerLabel(name: string): string {
  const known = LABELS.get(name);
  if (known !== undefined) return known;
  const label = SPELLED[name] ?? name.replace(/\b[a-z]/g, (c) => c.toUpperCase());
  // Bounded: header names come from the wire.
  if (LABELS.size < MAX_LABELS) LABELS.set(name, label);
  return label;
}

/** The rows for one header (lower-case name as in `msg.headers`); '' for undefined or null. */
export function headerRows(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  const label = headerLabel(name);
  if (typeof value === 'string' || typeof value === 'number') return `${label}: ${value}\r\n`;
  const write = WRITERS[name];
  if (write) return write(value, label);
  // Other headers given as a list of values: one row each (decoding joins them with commas again).
  if (Array.isArray(value)) return otherRows(value, label);
  if (typeof value === 'object' && 'uri' in value) return `${label}: ${nameAddrText(value as NameAddr)}\r\n`;
  return `${label}: ${String(value)}\r\n`;
}
