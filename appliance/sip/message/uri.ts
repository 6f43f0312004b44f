import { isIP } from 'node:net';
import type { Uri } from 'sip';

/**
 * SIP URI parsing (RFC 3261 §19.1.1, §25.1) with IPv6 references (RFC 5118). The `sip`
 * package's parseUri only knows host names and IPv4, so URIs are parsed here, in the shape
 * its stringifyUri accepts (host kept with its brackets).
 */
export type SipUri = Uri & { schema: 'sip' | 'sips' };

const URI = /^([Ss][Ii][Pp][Ss]?):(?:([^\s@>:]+)(?::([^\s@>]*))?@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9\-.]+)(?::(\d{1,5}))?((?:;[^\s?;]*)*)(?:\?([^\s]*))?$/;

/**
 * Parses a sip:/sips: URI; undefined when it is not one. The scheme is case-insensitive
 * (RFC 3261 §19.1.4: `SIP:` is `sip:`) and comes back lower-cased in `schema`.
 */
export function parseSipUri(text: string): SipUri | undefined {
  const m = URI.exec(text);
  if (!m) return undefined;
  const host = m[4];
  if (host.startsWith('[') && isIP(host.slice(1, -1)) !== 6) return undefined;
  const port = m[5] === undefined ? undefined : Number(m[5]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const params: Record<string, string | null> = {};
  for (const p of m[6].split(';').slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    params[(eq < 0 ? p : p.slice(0, eq)).toLowerCase()] = eq < 0 ? null : p.slice(eq + 1);
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
 * The user part of a sip:/sips: URI (`sip:201@office.lan` → `201`, `SIPS:Ab@host;x` → `Ab`),
 * kept as sent (RFC 3261 §19.1.4: the user part compares case-sensitively); undefined for a URI
 * without one or anything that is not a SIP URI. The one way an AOR's user is read.
 */
export function uriUser(text: string): string | undefined {
  return parseSipUri(text)?.user;
}

/** The URI scheme of any absolute URI (RFC 3261 §25.1 absoluteURI), lower-cased. */
export function uriScheme(text: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(text);
  return m ? m[1].toLowerCase() : undefined;
}

/** Host without IPv6 brackets, for sockets. */
export function socketHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/** Host for a URI or Via: IPv6 addresses get brackets. */
export function uriHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
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
