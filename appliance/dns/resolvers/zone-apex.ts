import { isIP } from 'node:net';
import type { DnsContext } from '../context.ts';
import type { Resolver } from '../handler.ts';
import { answerFromSet, RecordSet } from '../record-set.ts';
import type { ResourceRecord } from '../records.ts';

const REFRESH = 3600;
const RETRY = 600;
const EXPIRE = 86400;

/** Host name of this appliance's name server, in the office zone. */
export const nsHost = (ctx: DnsContext): string => `ns.${ctx.zones.office}`;

/** The SOA of a served zone (RFC 1035 §3.3.13); MINIMUM is the negative-caching TTL (RFC 2308 §4). */
export function soaRecord(ctx: DnsContext, apex: string): ResourceRecord & { type: 'SOA' } {
  const ttl = ctx.config.dns.ttl;
  return {
    name: apex, ttl, type: 'SOA', mname: nsHost(ctx), rname: `hostmaster.${ctx.zones.office}`,
    serial: ctx.data.serial, refresh: REFRESH, retry: RETRY, expire: EXPIRE, minimum: ttl,
  };
}

/** SOA and NS at every served apex, and the address of the name server host. */
export function zoneApexResolver(ctx: DnsContext): Resolver {
  let built: { serial: number; set: RecordSet } | undefined;
  const current = (): RecordSet => {
    if (built?.serial === ctx.data.serial) return built.set;
    const ttl = ctx.config.dns.ttl;
    const records: ResourceRecord[] = [];
    for (const apex of ctx.zones.all) {
      records.push(soaRecord(ctx, apex), { name: apex, ttl, type: 'NS', target: nsHost(ctx) });
    }
    const listen = ctx.config.dns.listen;
    const address = listen === '0.0.0.0' || listen === '::' ? ctx.config.sip.advertise : listen;
    records.push(isIP(address) === 6 ? { name: nsHost(ctx), ttl, type: 'AAAA', address } : { name: nsHost(ctx), ttl, type: 'A', address });
    built = { serial: ctx.data.serial, set: new RecordSet(records, ctx.zones.all) };
    return built.set;
  };
  return (next) => (req) => answerFromSet(current(), req, next);
}
