import type { DnsContext } from '../context.ts';
import { refusal, type Handler } from '../handler.ts';
import { RCODE } from '../records.ts';
import { zoneOf } from '../zones.ts';
import { soaRecord } from './zone-apex.ts';

/**
 * The end of the chain. A name in our zones that nobody answered does not exist: NXDOMAIN,
 * authoritative, with the zone's SOA in authority; its TTL is min(SOA TTL, MINIMUM), the
 * negative-caching TTL (RFC 2308 §3, §5). Anything else is not ours: REFUSED (no open resolver).
 */
export function notFoundHandler(ctx: DnsContext): Handler {
  return async (req) => {
    const apex = zoneOf(ctx.zones, req.question.name);
    if (!apex) return refusal('forbidden');
    const soa = soaRecord(ctx, apex);
    return { rcode: RCODE.NXDOMAIN, authoritative: true, answers: [], authority: [{ ...soa, ttl: Math.min(soa.ttl, soa.minimum) }], additional: [] };
  };
}
