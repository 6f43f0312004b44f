import type { DnsContext } from '../context.ts';
import { refusal, type Resolver } from '../handler.ts';
import { zoneOf } from '../zones.ts';

/**
 * Names outside our zones go to the configured forwarders (allowed clients only: acl.ts runs
 * first). Never for our own zones: those end in not-found.ts. Without forwarders: pass on
 * (REFUSED). All forwarders failing: SERVFAIL (RFC 1035 §4.1.1).
 */
export function forwarderResolver(ctx: DnsContext): Resolver {
  return (next) => async (req) => {
    const forwarder = ctx.forwarder;
    if (!forwarder || zoneOf(ctx.zones, req.question.name)) return next(req);
    const got = await forwarder.query(req.question.name, req.question.type);
    if (!got) return refusal('internal');
    return { rcode: got.rcode, authoritative: false, answers: got.answers, authority: got.authority, additional: [], upstream: got.upstream };
  };
}
