import { readNameAddr } from './name-addr.ts';
import type { SipRequest } from './types.ts';

/**
 * A request's header values as the `sip` package shapes them (`msg.headers`), built from the
 * header lines decode.ts has already split, unfolded and named (RFC 3261 §7.3.1, compact forms
 * expanded). This replaces `sip.parse` for requests: that parser split, matched and unescaped
 * every line a second time, about a third of a request's decoding time (bench/sip-call-cpu).
 * Name-addrs are read by name-addr.ts (it replaced `sip.parseAOR`, same output); Via, Route,
 * Record-Route are parsed by decode.ts itself, and CSeq checked there. `into`: the object to
 * fill (decode.ts gives one whose first key is `via`, the order a forwarded request is written in).
 */
export function requestHeaders(raw: ReadonlyMap<string, readonly string[]>, into: Record<string, unknown> = {}): SipRequest['headers'] {
  const headers = into;
  for (const [name, values] of raw) {
    const parse = PARSERS[name];
    if (parse === undefined) {
      // Other headers stay text; repeated lines join with commas (RFC 3261 §7.3.1).
      headers[name] = values.length === 1 ? values[0] : values.join(',');
      continue;
    }
    if (parse === SKIP) continue;
    let value: unknown;
    for (const text of values) {
      // A value the grammar rejects leaves the header as it was (the `sip` package does the same).
      try {
        value = parse(text, value);
      } catch {
        /* keep the previous value */
      }
    }
    if (value !== undefined) headers[name] = value;
  }
  return headers as SipRequest['headers'];
}

type Cursor = { s: string; i: number };
type Parse = (text: string, previous: unknown) => unknown;

const SKIP: Parse = () => undefined;
const COMMA = /\s*,\s*/y;

/** `value *(COMMA value)` (RFC 3261 §7.3.1), appended to what earlier lines gave. */
function list(one: (c: Cursor) => unknown): Parse {
  return (text, previous) => {
    const out = previous === undefined ? [] : (previous as unknown[]);
    if (!Array.isArray(out)) throw new Error('not a list');
    const c: Cursor = { s: text, i: 0 };
    for (;;) {
      out.push(one(c));
      if (c.i >= c.s.length || !sticky(COMMA, c)) return out;
    }
  };
}

const nameAddr = readNameAddr;

/** `scheme param=value *(, param=value)` of a credentials or challenge header (RFC 3261 §25.1). */
const AUTH_SCHEME = /([^\s]*)\s+/y;
const AUTH_FIRST = /([^\s,"=]*)\s*=\s*([^\s,"]+|"[^"\\]*(?:\\.[^"\\]*)*")\s*/y;
const AUTH_NEXT = /,\s*([^\s,"=]*)\s*=\s*([^\s,"]+|"[^"\\]*(?:\\.[^"\\]*)*")\s*/y;
function sticky(re: RegExp, c: Cursor): RegExpExecArray | null {
  re.lastIndex = c.i;
  const m = re.exec(c.s);
  if (m) c.i = re.lastIndex;
  return m;
}
function authParams(c: Cursor, first: RegExp, into: Record<string, string>): Record<string, string> {
  const r = sticky(first, c);
  if (!r) throw new Error('no auth-param');
  into[r[1]] = r[2];
  for (let n = sticky(AUTH_NEXT, c); n; n = sticky(AUTH_NEXT, c)) into[n[1]] = n[2];
  return into;
}
const credentials = (c: Cursor) => {
  const scheme = sticky(AUTH_SCHEME, c);
  if (!scheme) throw new Error('no auth scheme');
  return authParams(c, AUTH_FIRST, { scheme: scheme[1] });
};

const PARSERS: Record<string, Parse> = {
  to: (t) => nameAddr({ s: t, i: 0 }),
  from: (t) => nameAddr({ s: t, i: 0 }),
  'refer-to': (t) => nameAddr({ s: t, i: 0 }),
  // "Contact: *" (RFC 3261 §10.2.2) is an entry with the URI '*' here; decode.ts checks it.
  contact: list(nameAddr),
  // The URI stays text, like Route's: sip.parseUri cannot read IPv6 hosts (RFC 5118), and the
  // entry is only forwarded.
  path: list(nameAddr),
  'content-length': (t) => +t,
  'www-authenticate': list(credentials),
  'proxy-authenticate': list(credentials),
  authorization: list(credentials),
  'proxy-authorization': list(credentials),
  'authentication-info': (t) => authParams({ s: t, i: 0 }, AUTH_FIRST, {}),
  // decode.ts parses these itself.
  via: SKIP,
  route: SKIP,
  'record-route': SKIP,
  // Kept in its place (the order headers are forwarded in); decode.ts checks it strictly.
  cseq: (t) => {
    const r = /(\d+)\s*(\S+)/.exec(t);
    if (!r) throw new Error('no CSeq');
    return { seq: +r[1], method: r[2] };
  },
};
