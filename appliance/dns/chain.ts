import { ApplianceError } from '../../system/errors/index.ts';
import type { DnsContext } from './context.ts';
import type { DnsAnswer, DnsRequest, Handler, Resolver } from './handler.ts';
import { lowerName, typeCode } from './records.ts';
import { anyMinimalResolver } from './resolvers/any-minimal.ts';
import { enumResolver } from './resolvers/enum.ts';
import { forwarderResolver } from './resolvers/forwarder.ts';
import { notFoundHandler } from './resolvers/not-found.ts';
import { ringGroupsResolver } from './resolvers/ring-groups.ts';
import { registrationsResolver } from './resolvers/registrations.ts';
import { sipServiceResolver } from './resolvers/sip-service.ts';
import { zoneApexResolver } from './resolvers/zone-apex.ts';
import { zoneRecordsResolver } from './resolvers/zone-records.ts';

/**
 * The resolver chain, in order (CoreDNS's plugin.cfg). A resolver answers or passes to the
 * next; a data resolver that knows a name but not the type turns a later NXDOMAIN into NODATA.
 * The first answer wins, so admin records shadow derived ones at the same name and type.
 */
export const RESOLVERS: readonly { readonly name: string; readonly make: (ctx: DnsContext) => Resolver }[] = [
  { name: 'any', make: anyMinimalResolver }, // RFC 8482 minimal ANY
  { name: 'zone-apex', make: zoneApexResolver }, // SOA, NS, ns host
  { name: 'zone-records', make: zoneRecordsResolver }, // admin records from the store
  { name: 'sip-service', make: sipServiceResolver }, // NAPTR/SRV/A for SIP (RFC 3263)
  { name: 'registrations', make: registrationsResolver }, // <extension>.<zone>, reverse PTR
  { name: 'ring-groups', make: ringGroupsResolver }, // <group>.<zone> → this appliance
  { name: 'enum', make: enumResolver }, // E.164 → SIP URI (RFC 6116)
  { name: 'forwarder', make: forwarderResolver }, // foreign names, cached
];

/** Builds the chain, ending in not-found (NXDOMAIN in our zones, REFUSED elsewhere). */
export function buildChain(ctx: DnsContext, resolvers = RESOLVERS): Handler {
  let handler = notFoundHandler(ctx);
  for (let i = resolvers.length - 1; i >= 0; i--) handler = resolvers[i].make(ctx)(handler);
  return handler;
}

/** Runs a question through the chain, with `lookup` wired for CNAME chasing (depth-bounded). */
export function ask(chain: Handler, name: string, type: number, client?: string, depth = 0): Promise<DnsAnswer> {
  const req: DnsRequest = {
    question: { name: lowerName(name), type },
    client,
    depth,
    lookup: (n, t) => ask(chain, n, t, client, depth + 1),
  };
  return chain(req);
}

/** Type mnemonic or number → code; throws on unknown mnemonics. */
export function questionType(type: string | number): number {
  if (typeof type === 'number') return type;
  const code = typeCode(type);
  if (code === undefined) throw new ApplianceError('invalid-input', `unknown DNS type "${type}"`);
  return code;
}
