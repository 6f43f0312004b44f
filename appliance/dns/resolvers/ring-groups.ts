import { isIP } from 'node:net';
import type { DataContext, DnsContext } from '../context.ts';
import type { Resolver } from '../handler.ts';
import { answerFromSet, RecordSet } from '../record-set.ts';
import type { ResourceRecord } from '../records.ts';

/**
 * `<group>.<zone>` for each ring group (issue 15): A/AAAA of this appliance's own SIP address
 * (every family it advertises). Why the appliance and not the members' phones: a group has no
 * phone of its own, a call to it only works through the proxy (which forks to the members and
 * applies the hunt order, DND and the fallback), and the members' addresses change with every
 * registration; `sip:600@600.office.lan` reaches the one place that knows what 600 means.
 * Derived from the store (ZoneData.groups), shadowed by an admin record of the same name.
 */
export function ringGroupRecords(ctx: DataContext): ResourceRecord[] {
  const ttl = ctx.config.dns.ttl;
  const addresses = [...new Set(ctx.config.sip.listenAddresses.map((l) => l.advertise))];
  const out: ResourceRecord[] = [];
  for (const g of ctx.data.groups) {
    const name = `${g}.${ctx.zones.office}`;
    for (const address of addresses) out.push(isIP(address) === 6 ? { name, ttl, type: 'AAAA', address } : { name, ttl, type: 'A', address });
  }
  return out;
}

/** Answers the ring groups' names (after admin records and registrations: no group number is an extension). */
export function ringGroupsResolver(ctx: DnsContext): Resolver {
  let built: { version: number; set: RecordSet } | undefined;
  const current = (): RecordSet => {
    if (built?.version !== ctx.data.version) built = { version: ctx.data.version, set: new RecordSet(ringGroupRecords(ctx), ctx.zones.all) };
    return built.set;
  };
  return (next) => (req) => answerFromSet(current(), req, next);
}
