import { isIP } from 'node:net';
import type { DataContext, DnsContext } from '../context.ts';
import type { Resolver } from '../handler.ts';
import { answerFromSet, RecordSet } from '../record-set.ts';
import { inZone, type ResourceRecord } from '../records.ts';

/**
 * TTL of the SIP service records in a peer group (load-weighted SRV, docs/PEERS.md): their
 * weights follow load (changing at most every 5 s, by at most 25), so a phone's cached copy
 * should not outlive a load change by much; 30 s is within one registration refresh of the
 * usual phones, and an office of 200 phones re-asking every 30 s costs < 7 queries/s.
 */
export const PEER_GROUP_TTL = 30;

/**
 * How phones find this appliance (RFC 3263 §4.1, §4.2): NAPTR at the domain with SIPS+D2T /
 * SIP+D2T / SIP+D2U pointing at `_sips._tcp` / `_sip._tcp` / `_sip._udp` (TLS first: RFC 3263
 * §4.1 lets the client prefer the secure one, RFC 5630), SRV there to the SIP targets (this
 * appliance, later peers with priorities from the control section; `_sips._tcp` only to targets
 * with a TLS port), and A/AAAA for each target host (both families of a dual-stack one).
 */
export function sipServiceRecords(ctx: DataContext): ResourceRecord[] {
  const group = ctx.config.peers.length > 0 || ctx.data.sipTargets.length > 1;
  const ttl = group ? Math.min(ctx.config.dns.ttl, PEER_GROUP_TTL) : ctx.config.dns.ttl;
  const domains = [...new Set([ctx.zones.office, ctx.config.sip.domain])].filter((d) => inZone(d, ctx.zones.office));
  const out: ResourceRecord[] = [];
  const services = [
    { transport: 'tls', srv: '_sips._tcp', service: 'SIPS+D2T', order: 80 },
    { transport: 'tcp', srv: '_sip._tcp', service: 'SIP+D2T', order: 90 },
    { transport: 'udp', srv: '_sip._udp', service: 'SIP+D2U', order: 100 },
  ] as const;
  for (const d of domains) {
    for (const s of services) {
      if (!ctx.config.sip.transports.includes(s.transport)) continue;
      const targets = ctx.data.sipTargets.flatMap((t) => {
        const port = s.transport === 'tls' ? t.tlsPort : t.port;
        return port === undefined ? [] : [{ ...t, port }];
      });
      if (targets.length === 0) continue;
      const srv = `${s.srv}.${d}`;
      out.push({ name: d, ttl, type: 'NAPTR', order: s.order, preference: 50, flags: 's', services: s.service, regexp: '', replacement: srv });
      for (const t of targets) {
        out.push({ name: srv, ttl, type: 'SRV', priority: t.priority, weight: t.weight, port: t.port, target: t.host });
      }
    }
  }
  for (const t of ctx.data.sipTargets) {
    if (!inZone(t.host, ctx.zones.office)) continue;
    for (const address of [t.address, ...(t.moreAddresses ?? [])]) {
      out.push(isIP(address) === 6 ? { name: t.host, ttl, type: 'AAAA', address } : { name: t.host, ttl, type: 'A', address });
    }
  }
  return out;
}

/** Answers the SIP service records; SRV answers carry the targets' addresses as additional data. */
export function sipServiceResolver(ctx: DnsContext): Resolver {
  let built: { version: number; set: RecordSet } | undefined;
  const current = (): RecordSet => {
    if (built?.version !== ctx.data.version) built = { version: ctx.data.version, set: new RecordSet(sipServiceRecords(ctx), ctx.zones.all) };
    return built.set;
  };
  return (next) => (req) => {
    const set = current();
    // RFC 2782 "Usage rules": the target addresses may go in the additional section.
    const additional = (rrs: readonly ResourceRecord[]) =>
      rrs.flatMap((r) => (r.type === 'SRV' ? set.at(r.target).filter((a) => a.type === 'A' || a.type === 'AAAA') : []));
    return answerFromSet(set, req, next, additional);
  };
}
