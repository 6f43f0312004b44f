import type { Via } from 'sip';
import type { Decoded, SipRequest, SipResponse } from './types.ts';
import { sipUriCheck, uriScheme } from './uri.ts';
import { parseViaValue, splitCommas } from './via.ts';
import { requestHeaders } from './header-values.ts';
import { readNameAddr } from './name-addr.ts';
import { paramKey } from './param-key.ts';
import { statusFor, type ErrorCode } from '../../../system/errors/index.ts';

/**
 * Decodes one SIP message from bytes. Framing and the checks the `sip` package skips are done
 * here (it swallows header errors and unescapes methods): RFC 3261 §7 and §18.3 framing, and
 * the RFC 4475 torture cases: duplicate single-valued headers (§3.3.8/3.3.9), negative or
 * overlarge Content-Length (§3.1.2.2-3), overlarge scalars (§3.1.2.4-5), bad versions (§3.1.2.16),
 * CSeq/method mismatch (§3.1.2.17-18), escaped methods (§3.1.1.5).
 */
export const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', r: 'refer-to', u: 'allow-events',
  x: 'session-expires', // RFC 4028 §4
};
/** Headers that may appear once only (RFC 3261 §7.3.1, §20). */
const SINGLE = new Set(['call-id', 'content-length', 'cseq', 'from', 'to', 'max-forwards', 'content-type', 'expires']);
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/(\d+\.\d+)$/;
const STATUS_LINE = /^SIP\/(\d+\.\d+) (\d{3}) ([^\r\n]*)$/;
const MAX_CSEQ = 2 ** 31 - 1;
/** A header line continued on the next (folding, RFC 3261 §7.3.1). */
const FOLDED = /\r\n[ \t]/;

/** Header names seen, as written, to their canonical form: phones send the same few each time. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 512;

/**
 * The lower-case, compact-form-expanded name of a header (RFC 3261 §7.3.3), or undefined when
 * it is not a token. `%` is a plain token character in a header name: `C%6Fntact` is an
 * extension header, not a third Contact (RFC 4475 §3.1.1.5).
 */
function headerName(name: string): string | undefined {
  const known = NAMES.get(name);
  if (known !== undefined) return known;
  if (!TOKEN.test(name)) return undefined;
  const lower = name.toLowerCase();
  const canonical = COMPACT[lower] ?? lower;
  // Bounded: a stranger inventing names must not grow it.
  if (NAMES.size < MAX_NAMES) NAMES.set(name, canonical);
  return canonical;
}

/** The spellings phones write (first character → written form and canonical name): matched in place, no substring. */
const WRITTEN: (readonly [string, string])[][] = [];
for (const written of [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Record-Route',
  'Route', 'Subject', 'Allow', 'Supported', 'User-Agent', 'Server', 'Expires', 'Authorization', 'Proxy-Authorization',
  'Session-Expires', 'Min-SE', 'Event', 'Accept', 'Allow-Events', 'P-Asserted-Identity', 'Require', 'Privacy', 'Date',
  'Reason', 'Path', 'Diversion', 'History-Info', 'Content-Disposition', 'Proxy-Require', 'Unsupported', 'Organization',
  'v', 'f', 't', 'i', 'm', 'l', 'c',
]) (WRITTEN[written.charCodeAt(0)] ??= []).push([written, headerName(written)!]);

/** The canonical name when `s[from, colon)` is one of the WRITTEN spellings exactly (headerName gives the same). */
function writtenName(s: string, from: number, colon: number): string | undefined {
  const candidates = WRITTEN[s.charCodeAt(from)];
  if (candidates === undefined) return undefined;
  const length = colon - from;
  for (const [written, canonical] of candidates) if (written.length === length && s.startsWith(written, from)) return canonical;
  return undefined;
}

/** `s.slice(from, to).trim()`, with the usual SP / HTAB around a value skipped before slicing. */
function trimmed(s: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  const value = s.slice(a, b);
  // Any other white space at either end (CR, LF, NBSP, ...): what trim() removes, exactly.
  return a < b && (maybeSpace(s.charCodeAt(a)) || maybeSpace(s.charCodeAt(b - 1))) ? value.trim() : value;
}

/** A superset of what String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator). */
const maybeSpace = (c: number): boolean => c <= 32 || c === 0xa0 || c >= 0x1680;

/** Decodes a whole datagram, or one framed stream message (`stream` true: framing already checked). */
export function decodeMessage(data: Buffer | string, stream = false): Decoded {
  let s = typeof data === 'string' ? data : data.toString('binary');
  // Keep-alives (RFC 5626 §4.4.1) and stray CRLFs before a message (RFC 3261 §7.5).
  let start = 0;
  while (s.charCodeAt(start) === 13 || s.charCodeAt(start) === 10) start++;
  if (start === s.length) return { kind: 'drop', reason: 'keep-alive' };
  if (start > 0) s = s.slice(start);

  let headEnd = s.indexOf('\r\n\r\n');
  let bodyStart = headEnd + 4;
  if (headEnd < 0) {
    // A datagram whose headers end with the datagram: liberal, as RFC 4475 §3.1.2.15 allows.
    if (!s.endsWith('\r\n')) return { kind: 'drop', reason: 'no end of headers' };
    headEnd = s.length - 2;
    bodyStart = s.length;
  }
  const head = s.slice(0, headEnd);
  const text = FOLDED.test(head) ? head.replace(/\r\n[ \t]+/g, ' ') : head;
  // The header lines (RFC 3261 §7.3), read in place: no array of lines, one substring per value.
  let lineEnd = text.indexOf('\r\n');
  const startLine = lineEnd < 0 ? text : text.slice(0, lineEnd);

  const raw = new Map<string, string[]>();
  let badHeader: string | undefined;
  while (lineEnd >= 0) {
    const from = lineEnd + 2;
    lineEnd = text.indexOf('\r\n', from);
    const end = lineEnd < 0 ? text.length : lineEnd;
    let colon = text.indexOf(':', from);
    if (colon > end) colon = -1;
    const canonical = colon > from ? writtenName(text, from, colon) ?? headerName(text.slice(from, colon).trimEnd()) : undefined;
    if (canonical === undefined) {
      badHeader ??= `malformed header line "${text.slice(from, Math.min(end, from + 40))}"`;
      continue;
    }
    const list = raw.get(canonical);
    const value = trimmed(text, colon + 1, end);
    if (list) list.push(value);
    else raw.set(canonical, [value]);
  }

  const status = STATUS_LINE.exec(startLine);
  if (status) return decodeResponse(status, raw, badHeader, s.slice(bodyStart), typeof data === 'string' || start > 0 ? Buffer.from(s, 'latin1') : data);
  if (startLine.startsWith('SIP/')) return { kind: 'drop', reason: 'malformed status line' };
  return decodeRequest(startLine, raw, badHeader, s, bodyStart, stream);
}

function decodeResponse(m: RegExpExecArray, raw: Map<string, string[]>, bad: string | undefined, rest: string, wire: Buffer): Decoded {
  const code = Number(m[2]);
  if (m[1] !== '2.0' || code < 100 || code > 699) return { kind: 'drop', reason: `bad status line ${m[1]} ${m[2]}` };
  if (bad) return { kind: 'drop', reason: bad };
  // A proxy reads only Via, CSeq, Call-ID, To and From of a response; the rest travels as
  // bytes (response-wire.ts), so only the two name-addr headers are parsed (name-addr.ts).
  const headers = { 'call-id': raw.get('call-id')?.[0] } as SipResponse['headers'];
  for (const name of ['to', 'from'] as const) {
    const value = raw.get(name)?.[0];
    if (value === undefined) continue;
    try {
      headers[name] = readNameAddr({ s: value, i: 0 });
    } catch {
      return { kind: 'drop', reason: `malformed ${name}` };
    }
  }
  // A redirect's Contacts, for recursion on 3xx (RFC 3261 §16.7 step 4, proxy/redirect-recursion.ts);
  // one that does not parse is left out (the 3xx still travels upstream as its bytes). A 2xx to
  // an INVITE: the callee's remote target (§12.1.2), for a hang-up from the UI (sip/hangup/).
  if ((code >= 300 && code < 400) || (code < 300 && code >= 200 && /\sINVITE\s*$/i.test(raw.get('cseq')?.[0] ?? ''))) {
    const contacts = (raw.get('contact') ?? []).flatMap(splitCommas).flatMap((part) => {
      try {
        return [readNameAddr({ s: part.trim(), i: 0 })];
      } catch {
        return [];
      }
    });
    if (contacts.length > 0) headers.contact = contacts as NonNullable<SipResponse['headers']['contact']>;
  }
  // The session interval, for the calls view (RFC 4028 §4; dialog-events.ts).
  const sessionExpires = raw.get('session-expires')?.[0];
  if (sessionExpires !== undefined) headers['session-expires'] = sessionExpires;
  const msg: SipResponse = { status: code, reason: m[3], version: '2.0', headers, wire };
  const problem = checkCommon(msg, raw);
  if (problem) return { kind: 'drop', reason: problem };
  msg.content = body(raw, rest);
  return { kind: 'response', msg };
}

function decodeRequest(
  startLine: string, raw: Map<string, string[]>, bad: string | undefined,
  s: string, bodyStart: number, stream: boolean,
): Decoded {
  const m = REQUEST_LINE.exec(startLine);
  // With a broken request line, still read the headers so the 400/505 can carry them (§8.2.6).
  // Via first when the request is serialised again (forwarding), as senders expect: its key is made first.
  const msg = { method: '', uri: '', version: '2.0', headers: requestHeaders(raw, { via: undefined }), content: '' } as SipRequest;
  // Reply to the request if we can at all: a response needs the Via to go anywhere.
  const vias = parseVias(raw);
  if (!vias) return { kind: 'drop', reason: 'request without a usable Via' };
  msg.headers.via = vias;
  // The status of each refusal comes from the one error map (system/errors/status-map.ts).
  const reject = (code: ErrorCode, reason: string, extraHeaders?: Record<string, string>): Decoded =>
    ({ kind: 'bad-request', status: statusFor(code).sip, reason, msg, extraHeaders });

  if (!m) {
    const version = /SIP\/(\d+\.\d+)$/.exec(startLine);
    if (version && version[1] !== '2.0') return reject('version-not-supported', 'Version Not Supported');
    return reject('malformed-message', 'Malformed Request-Line');
  }
  if (m[3] !== '2.0') return reject('version-not-supported', 'Version Not Supported');
  msg.method = m[1]; // raw token: %-escapes are not escapes in a method (RFC 4475 §3.1.1.5)
  msg.uri = m[2];
  if (bad) return reject('malformed-message', `Bad Header (${bad})`);
  for (const [name, values] of raw) {
    if (SINGLE.has(name) && values.length > 1) return reject('malformed-message', `Multiple ${name} values`);
  }
  const problem = checkCommon(msg, raw, vias);
  if (problem) return reject('malformed-message', problem);
  const cseqMethod = msg.headers.cseq.method;
  if (cseqMethod !== msg.method) {
    return KNOWN_METHODS.has(msg.method) ? reject('malformed-message', 'CSeq method does not match') : reject('method-not-implemented', 'Not Implemented');
  }
  const mf = raw.get('max-forwards')?.[0];
  if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) return reject('malformed-message', 'Bad Max-Forwards');
  const scheme = uriScheme(msg.uri);
  if (!scheme) return reject('malformed-message', 'Malformed Request-URI');
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return reject('unsupported-uri-scheme', 'Unsupported URI Scheme');
  if (scheme !== 'tel') {
    const uri = sipUriCheck(msg.uri);
    if (uri === 'malformed') return reject('malformed-message', 'Malformed Request-URI');
    // Escaped headers in a Request-URI are meaningless and must not be forwarded (RFC 4475 §3.1.2.11).
    if (uri === 'headers') return reject('malformed-message', 'Headers in Request-URI');
  }
  // A Contact addr-spec with ';' or '?' must be in <> (RFC 3261 §20.10, RFC 4475 §3.1.2.13).
  for (const c of raw.get('contact') ?? []) {
    for (const part of splitCommas(c)) {
      // Quoted strings (a display name, a +sip.instance="<urn:...>" parameter, RFC 5626 §4.1)
      // may hold '<' without making the value a name-addr.
      const bare = part.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      if (!bare.includes('<') && bare.includes('?')) return reject('malformed-message', 'Contact URI must be enclosed in <>');
    }
  }
  // "Contact: *" removes every binding (RFC 3261 §10.2.2, §20.10); name-addr.ts reads it as
  // a URI "*". It is meaningful in REGISTER only, and alone (§10.3 step 6).
  const contacts = msg.headers.contact;
  if (Array.isArray(contacts) && contacts.some((c) => c.uri === '*')) {
    if (msg.method !== 'REGISTER' || contacts.length > 1) return reject('malformed-message', 'Contact * must stand alone in a REGISTER');
    msg.headers.contact = '*';
  }

  const cl = raw.get('content-length')?.[0];
  const rest = s.length - bodyStart;
  if (cl !== undefined) {
    if (!/^\d{1,9}$/.test(cl)) return reject('malformed-message', 'Bad Content-Length');
    // UDP: a Content-Length larger than the datagram is an error (RFC 3261 §18.3).
    if (!stream && Number(cl) > rest) return reject('malformed-message', 'Content-Length larger than message');
  }
  msg.content = body(raw, s.slice(bodyStart));
  return { kind: 'request', msg };
}

/** Checks shared by requests and responses; returns a reason phrase or undefined. */
function checkCommon(msg: SipRequest | SipResponse, raw: Map<string, string[]>, parsedVias?: Via[]): string | undefined {
  const h = msg.headers;
  const vias = parsedVias ?? parseVias(raw);
  if (!vias) return 'Missing or malformed Via';
  h.via = vias;
  for (const name of ['route', 'record-route'] as const) {
    const values = raw.get(name);
    if (!values) continue;
    const entries = values.flatMap(splitCommas).map(parseNameAddr);
    if (entries.some((e) => e === undefined)) return `Malformed ${name}`;
    h[name] = entries as NonNullable<(typeof entries)[number]>[];
  }
  if (typeof h['call-id'] !== 'string' || !/^\S+$/.test(h['call-id'])) return 'Missing or malformed Call-ID';
  const cseq = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(raw.get('cseq')?.[0] ?? '');
  if (!cseq || Number(cseq[1]) > MAX_CSEQ) return 'Missing or malformed CSeq';
  h.cseq = { seq: Number(cseq[1]), method: cseq[2] };
  if (!h.from || typeof h.from.uri !== 'string' || !uriScheme(h.from.uri)) return 'Missing or malformed From';
  if (!h.to || typeof h.to.uri !== 'string' || !uriScheme(h.to.uri)) return 'Missing or malformed To';
  if (raw.has('from') && !wellQuoted(raw.get('from')![0])) return 'Malformed From';
  if (raw.has('to') && !wellQuoted(raw.get('to')![0])) return 'Malformed To';
  return undefined;
}

function parseVias(raw: Map<string, string[]>): Via[] | undefined {
  const values = raw.get('via');
  if (!values) return undefined;
  const vias: Via[] = [];
  for (const v of values) {
    for (const part of splitCommas(v)) {
      const via = parseViaValue(part);
      if (!via) return undefined;
      vias.push(via);
    }
  }
  return vias.length > 0 ? vias : undefined;
}

function body(raw: Map<string, string[]>, rest: string): string {
  const cl = raw.get('content-length')?.[0];
  if (cl === undefined || !/^\d+$/.test(cl)) return rest;
  return rest.slice(0, Number(cl));
}

/** A name-addr with an unterminated quoted display name (RFC 4475 §3.1.2.6). */
function wellQuoted(value: string): boolean {
  let quotes = 0;
  for (let i = 0; i < value.length; i++) if (value[i] === '"' && value[i - 1] !== '\\') quotes++;
  return quotes % 2 === 0;
}

/** A Route / Record-Route value: name-addr only (RFC 3261 §20.30, §20.34); URI kept as text. */
function parseNameAddr(value: string): { name?: string; uri: string; params: Record<string, string | null> } | undefined {
  const m = /^(?:("(?:[^"\\]|\\.)*"|[^<"]*?)\s*)?<([^>]+)>\s*((?:;[^;]*)*)$/.exec(value);
  if (!m) return undefined;
  const params: Record<string, string | null> = {};
  for (const p of m[3].split(';').slice(1)) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    params[paramKey(eq < 0 ? t : t.slice(0, eq))] = eq < 0 ? null : t.slice(eq + 1);
  }
  return { name: m[1] || undefined, uri: m[2].trim(), params };
}
