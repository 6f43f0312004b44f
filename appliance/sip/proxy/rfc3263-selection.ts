/**
 * RFC 3263 §4 server selection as pure functions over DNS records: what to look up for a
 * URI, which NAPTR records qualify and in what order (§4.1), and the RFC 2782 ordering of
 * SRV records (priority, then weighted random within a priority). No I/O: uri-resolver.ts
 * asks the DNS function and feeds the records in.
 */
import { isIP } from 'node:net';
import type { ResourceRecord } from '../../dns/records.ts';

/** The transports a SIP target can name (RFC 3263 §4.1 table). */
export type SipWireTransport = 'udp' | 'tcp' | 'tls';

/** What a URI asks for, before any DNS query (RFC 3263 §4.1, §4.2). */
export type LookupPlan =
  /** Numeric host: that address, no DNS. */
  | { readonly kind: 'numeric'; readonly transport: SipWireTransport; readonly address: string; readonly port: number }
  /** Explicit port: A/AAAA of the host only (§4.2). */
  | { readonly kind: 'address'; readonly transport: SipWireTransport; readonly host: string; readonly port: number }
  /** Explicit transport, no port: SRV of that transport, else A/AAAA (§4.1, §4.2). */
  | { readonly kind: 'srv'; readonly host: string; readonly transports: readonly SipWireTransport[] }
  /** Neither: NAPTR, else SRV of each enabled transport, else A/AAAA on 5060/5061 (§4.1). */
  | { readonly kind: 'naptr'; readonly host: string; readonly transports: readonly SipWireTransport[] };

/** The parts of a SIP URI the plan depends on. */
export interface UriParts {
  readonly sips: boolean;
  readonly host: string;
  readonly port?: number;
  /** The `transport` parameter, as written (any case), if any. */
  readonly transport?: string;
}

/**
 * Decides the lookups for a URI (RFC 3263 §4.1, §4.2). `enabled` are our transports; a sips:
 * URI qualifies TLS only (RFC 5630 §3.2). Undefined when no enabled transport qualifies.
 */
export function lookupPlan(uri: UriParts, enabled: readonly SipWireTransport[]): LookupPlan | undefined {
  const host = uri.host.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  const named = uri.transport?.toLowerCase();
  const param: SipWireTransport | undefined = named === 'tls' ? 'tls' : named === 'tcp' ? 'tcp' : named === 'udp' ? 'udp' : undefined;
  if (uri.sips && param === 'udp') return undefined; // RFC 5630 §3.2: sips: never over UDP
  // sips: with transport=tcp is TLS over TCP (RFC 3261 §26.2.2).
  const explicit = uri.sips && param ? 'tls' : param;
  const allowed = uri.sips ? enabled.filter((t) => t === 'tls') : enabled;
  if (isIP(host) || uri.port !== undefined) {
    // §4.1: a numeric host or an explicit port without transport parameter means UDP (TLS for sips:).
    const transport = explicit ?? (uri.sips ? 'tls' : 'udp');
    if (!allowed.includes(transport)) return undefined;
    const port = uri.port ?? (transport === 'tls' ? 5061 : 5060);
    return isIP(host) ? { kind: 'numeric', transport, address: host, port } : { kind: 'address', transport, host, port };
  }
  if (explicit) return allowed.includes(explicit) ? { kind: 'srv', host, transports: [explicit] } : undefined;
  return allowed.length > 0 ? { kind: 'naptr', host, transports: allowed } : undefined;
}

/** The SRV owner name for a transport (RFC 3263 §4.1: `_sips._tcp`, `_sip._tcp`, `_sip._udp`). */
export function srvName(transport: SipWireTransport, host: string): string {
  return transport === 'tls' ? `_sips._tcp.${host}` : `_sip._${transport}.${host}`;
}

const NAPTR_SERVICES: Readonly<Record<string, SipWireTransport>> = { 'sip+d2u': 'udp', 'sip+d2t': 'tcp', 'sips+d2t': 'tls' };

/** One usable NAPTR: the transport it names and the SRV name it replaces the domain with. */
export interface NaptrChoice {
  readonly transport: SipWireTransport;
  readonly srv: string;
}

/**
 * NAPTR records that qualify (RFC 3263 §4.1): flag "s", a service we have enabled
 * (SIP+D2U, SIP+D2T, SIPS+D2T; only SIPS+D2T for a sips: URI), a replacement and no regexp;
 * sorted by order, then preference (RFC 3403 §4.1).
 */
export function naptrChoices(records: readonly ResourceRecord[], transports: readonly SipWireTransport[]): NaptrChoice[] {
  const out: { order: number; preference: number; choice: NaptrChoice }[] = [];
  for (const r of records) {
    if (r.type !== 'NAPTR' || r.flags.toLowerCase() !== 's' || r.regexp !== '' || r.replacement === '') continue;
    const transport = NAPTR_SERVICES[r.services.toLowerCase()];
    if (!transport || !transports.includes(transport)) continue;
    out.push({ order: r.order, preference: r.preference, choice: { transport, srv: r.replacement.toLowerCase().replace(/\.$/, '') } });
  }
  out.sort((a, b) => a.order - b.order || a.preference - b.preference);
  return out.map((o) => o.choice);
}

/** An SRV record in the shape the ordering needs. */
export interface SrvEntry {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/**
 * The SRV records in the order to try them (RFC 2782 "Usage rules"): ascending priority;
 * within a priority, repeatedly a weighted random pick (weight-0 records first in the running
 * sum, so they are chosen rarely). A lone record with target "." means "no service": none.
 * `random` returns [0, 1) (seeded in tests).
 */
export function orderSrv(records: readonly ResourceRecord[], random: () => number): SrvEntry[] {
  const srv: SrvEntry[] = records.flatMap((r) => (r.type === 'SRV' ? [{ priority: r.priority, weight: r.weight, port: r.port, target: r.target.toLowerCase().replace(/\.$/, '') }] : []));
  if (srv.length === 1 && srv[0].target === '') return [];
  const byPriority = new Map<number, SrvEntry[]>();
  for (const s of srv) {
    if (s.target === '') continue;
    const list = byPriority.get(s.priority) ?? [];
    list.push(s);
    byPriority.set(s.priority, list);
  }
  const out: SrvEntry[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(p)!].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((n, s) => n + s.weight, 0);
      // RFC 2782: a uniform number in [0, total]; the first record whose running sum reaches it.
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let sum = 0;
      let i = 0;
      for (; i < left.length; i++) {
        sum += left[i].weight;
        if (sum >= pick) break;
      }
      out.push(left.splice(Math.min(i, left.length - 1), 1)[0]);
    }
  }
  return out;
}
