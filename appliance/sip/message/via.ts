import type { Via } from 'sip';
import { isIpv6Reference } from './uri.ts';
import { paramKey } from './param-key.ts';

/**
 * Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 5118 IPv6). The `sip`
 * package's Via parser drops IPv6 hosts, so Via is re-parsed here from the raw header text.
 */
export const MAGIC_COOKIE = 'z9hG4bK';

const SENT = /^SIP\s*\/\s*(\d+\.\d+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:\s*:\s*(\d{1,5}))?\s*$/;
const PARAM_NAME = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const PARAM_VALUE = /^(?:"[^"]*"|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.!%*_+`'~:]+)$/;

/** Parses one Via value (sent-protocol sent-by *(;param)); undefined when malformed. */
export function parseViaValue(text: string): Via | undefined {
  const parts = text.split(';');
  const m = SENT.exec(parts[0].trim());
  if (!m) return undefined;
  const host = m[3];
  if (host.startsWith('[') && !isIpv6Reference(host)) return undefined;
  const params: Record<string, string | null> = {};
  for (let i = 1; i < parts.length; i++) {
    const t = parts[i].trim();
    const eq = t.indexOf('=');
    const name = paramKey(eq < 0 ? t : t.slice(0, eq).trimEnd());
    if (!PARAM_NAME.test(name)) return undefined;
    const value = eq < 0 ? null : t.slice(eq + 1).trimStart();
    if (value !== null && !PARAM_VALUE.test(value)) return undefined;
    params[name] = value;
  }
  const port = m[4] ? Number(m[4]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined; // no reply could reach it
  return { version: m[1], protocol: m[2].toUpperCase(), host, port, params };
}

/** Splits a header value on commas that are not inside quotes or angle brackets. */
export function splitCommas(value: string): string[] {
  // Most values carry one entry: no scan, no intermediate arrays.
  if (!value.includes(',')) {
    const one = value.trim();
    return one.length > 0 ? [one] : [];
  }
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && (c === '<' || c === '[')) depth++;
    else if (!quoted && (c === '>' || c === ']')) depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Where a response to this Via goes (RFC 3261 §18.2.2 with RFC 3581 §4 received/rport). */
export function responseTarget(via: Via): { address: string; port: number } {
  const received = via.params.received;
  const rport = via.params.rport;
  const host = received ?? via.host;
  const port = rport ? Number(rport) : via.port ?? 5060;
  return { address: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** The transaction branch, or undefined for RFC 2543 requests without the magic cookie. */
export function rfc3261Branch(via: Via): string | undefined {
  const b = via.params.branch;
  return b && b.startsWith(MAGIC_COOKIE) && b.length > MAGIC_COOKIE.length ? b : undefined;
}
