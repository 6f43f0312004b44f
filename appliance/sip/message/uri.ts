import { isIP } from 'node:net';
import type { Uri } from 'sip';
import { paramKey } from './param-key.ts';

/**
 * SIP URI parsing (RFC 3261 §19.1.1, §25.1) with IPv6 references (RFC 5118). The `sip`
 * package's parseUri only knows host names and IPv4, so URIs are parsed here, in the shape
 * its stringifyUri accepts (host kept with its brackets).
 */
export type SipUri = Uri & { schema: 'sip' | 'sips' };

const URI = /^([Ss][Ii][Pp][Ss]?):(?:([^\s@>:]+)(?::([^\s@>]*))?@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9\-.]+)(?::(\d{1,5}))?((?:;[^\s?;]*)*)(?:\?([^\s]*))?$/;

/**
 * The grammar's match of a sip:/sips: URI, or undefined: the regex, then what it cannot say
 * (an IPv6 reference holds an IPv6 address, RFC 5118 §4; the port is 1-65535). Groups: 1 scheme,
 * 2 user, 3 password, 4 host (IPv6 with its brackets), 5 port, 6 `;`-parameters, 7 headers.
 */
function matchSipUri(text: string): RegExpExecArray | undefined {
  const m = URI.exec(text);
  if (!m || (m[4].startsWith('[') && !isIpv6Reference(m[4]))) return undefined;
  if (m[5] !== undefined) {
    const port = Number(m[5]);
    if (port < 1 || port > 65535) return undefined;
  }
  return m;
}

/**
 * Parses a sip:/sips: URI; undefined when it is not one. The scheme is case-insensitive
 * (RFC 3261 §19.1.4: `SIP:` is `sip:`) and comes back lower-cased in `schema`.
 */
export function parseSipUri(text: string): SipUri | undefined {
  const m = matchSipUri(text);
  if (!m) return undefined;
  const host = m[4];
  const port = m[5] === undefined ? undefined : Number(m[5]);
  const params: Record<string, string | null> = {};
  for (const p of m[6].split(';').slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    params[paramKey(eq < 0 ? p : p.slice(0, eq))] = eq < 0 ? null : p.slice(eq + 1);
  }
  const headers: Record<string, string> = {};
  if (m[7]) {
    for (const h of m[7].split('&')) {
      const eq = h.indexOf('=');
      if (eq > 0) headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  return { schema: m[1].toLowerCase() as 'sip' | 'sips', user: m[2], password: m[3], host, port, params, headers };
}

/**
 * What decoding asks of a sip:/sips: Request-URI (RFC 3261 §19.1.1; RFC 4475 §3.1.2.11): whether
 * `parseSipUri` would read it, and whether the URI it gives has headers, without building it.
 */
export function sipUriCheck(text: string): 'malformed' | 'headers' | 'ok' {
  const m = matchSipUri(text);
  if (!m) return 'malformed';
  // parseSipUri keeps a header only when it has a name: `?=x` or `?a` give none.
  if (m[7]) for (const h of m[7].split('&')) if (h.indexOf('=') > 0) return 'headers';
  return 'ok';
}

/**
 * A sip:/sips: URI as a comparison key (RFC 3261 §19.1.4, simplified): the parts that compare
 * case-insensitively, scheme and host, lower-cased; user, password, parameters and headers as
 * written (so `;Transport=TCP` and `;transport=tcp` stay two keys, as the registrar always
 * compared them). Undefined for anything that is not a SIP URI. One regex match, no objects:
 * the registrar's `contactKey` calls it for every Contact it has not seen yet.
 */
export function sipUriKey(text: string): string | undefined {
  const m = matchSipUri(text);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const host = m[4].toLowerCase();
  // The host ends where port, parameters and headers begin: cut the text there, no rebuilding.
  const hostEnd = text.length - ((m[5] === undefined ? 0 : m[5].length + 1) + m[6].length + (m[7] === undefined ? 0 : m[7].length + 1));
  const hostStart = hostEnd - host.length;
  if (scheme === m[1] && host === m[4]) return text;
  return scheme + text.slice(scheme.length, hostStart) + host + text.slice(hostEnd);
}

/**
 * The user part of a sip:/sips: URI (`sip:201@office.lan` → `201`, `SIPS:Ab@host;x` → `Ab`),
 * kept as sent (RFC 3261 §19.1.4: the user part compares case-sensitively); undefined for a URI
 * without one or anything that is not a SIP URI. The one way an AOR's user is read.
 */
export function uriUser(text: string): string | undefined {
  return parseSipUri(text)?.user;
}

/** The URI scheme of any absolute URI (RFC 3261 §25.1 absoluteURI), lower-cased. */
export function uriScheme(text: string): string | undefined {
  // Nearly every URI is written `sip:`: answered without a match (decoding reads 3 to 5 a message).
  if (text.startsWith('sip:')) return 'sip';
  const m = SCHEME.exec(text);
  return m ? m[1].toLowerCase() : undefined;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+\-.]*):/;

/** True for text in the sip: or sips: scheme, any case (§19.1.4), whether or not the rest is well formed. */
export function hasSipScheme(text: string): boolean {
  const scheme = uriScheme(text);
  return scheme === 'sip' || scheme === 'sips';
}

/** Host without IPv6 brackets, for sockets. */
export function socketHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/** Host for a URI or Via: IPv6 addresses get brackets. */
export function uriHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

/**
 * True for an IPv6 reference, `[` IPv6 address `]` (RFC 3261 §25.1 IPv6reference, RFC 5118 §4):
 * the one check of a bracketed host, for URIs and Via sent-by alike.
 */
export function isIpv6Reference(host: string): boolean {
  return host.length > 2 && host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6;
}

/**
 * The IPv6 addresses an unbracketed `sip:<address>[:<port>]` may name (scheme in any case,
 * nothing else after it). sipp 3.6 writes its digest uri as `sip:` + remote address + `:` + port
 * with an IPv6 address bare (`sip:::1:5060`): not RFC 3261 §25.1 grammar, which brackets it
 * (RFC 5118 §4), so `parseSipUri` refuses it. Ambiguous (`::1:5060` is an address too), so both
 * readings; a caller accepts it only when one is an address of its own. No zone index (`%eth0`).
 */
export function unbracketedIpv6Hosts(text: string): string[] {
  if (!hasSipScheme(text)) return [];
  const rest = text.slice(text.indexOf(':') + 1);
  if (rest.includes('%')) return [];
  const last = rest.lastIndexOf(':');
  const withPort = /^\d{1,5}$/.test(rest.slice(last + 1)) ? rest.slice(0, last) : '';
  return [rest, withPort].filter((h) => isIP(h) === 6);
}

/** Default port of a URI's transport (RFC 3261 §19.1.2; 5061 for TLS, RFC 3263 §4.2). */
export function defaultPort(uri: SipUri): number {
  return uri.port ?? (uri.schema === 'sips' || uri.params.transport?.toLowerCase() === 'tls' ? 5061 : 5060);
}

/**
 * Transport named by the URI's transport parameter; udp when absent (RFC 3263 §4.1 for IP hosts).
 * A sips: URI, or `transport=tls`, is reached over TLS only (RFC 5630 §3.2, RFC 3261 §26.2.2).
 */
export function uriTransport(uri: SipUri): 'udp' | 'tcp' | 'tls' {
  const t = uri.params.transport?.toLowerCase();
  if (uri.schema === 'sips' || t === 'tls') return 'tls';
  return t === 'tcp' ? 'tcp' : 'udp';
}

/**
 * The URI as it may be logged: a password in its userinfo (`sip:alice:secret@host`, allowed by
 * RFC 3261 §19.1.1 though "NOT RECOMMENDED") replaced by `***`.
 */
export function loggableUri(text: string): string {
  return text.replace(/^(sips?:[^:@;?]*):[^@;?]*@/i, '$1:***@');
}
