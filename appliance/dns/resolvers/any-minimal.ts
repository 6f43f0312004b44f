import type { DnsContext } from '../context.ts';
import { positive, type Resolver } from '../handler.ts';
import { RCODE, TYPE } from '../records.ts';
import { zoneOf } from '../zones.ts';

/**
 * RFC 8482 §4.2: answer ANY in our zones with one synthesised HINFO "RFC8482" "" record, so
 * ANY cannot be used for amplification. The name must still exist (NXDOMAIN otherwise).
 */
export function anyMinimalResolver(ctx: DnsContext): Resolver {
  return (next) => async (req) => {
    const { name, type } = req.question;
    if (type !== TYPE.ANY || !zoneOf(ctx.zones, name)) return next(req);
    // Probe existence with a type nobody publishes here; NODATA means the name exists.
    const probe = await next({ ...req, question: { name, type: TYPE.HINFO } });
    if (probe.rcode !== RCODE.NOERROR) return probe;
    return positive([{ name, ttl: ctx.config.dns.ttl, type: 'HINFO', cpu: 'RFC8482', os: '' }]);
  };
}
