import type { BindingRecord, ExtensionRecord } from '../../../system/store/index.ts';
import { parseSourceKey, type FlowAddress } from '../../../system/store/source-key.ts';
import type { IdentificationTarget } from '../../dns/identification.ts';
import { uriHost } from '../message/uri.ts';
import { connectionKey } from '../transport/connection-key.ts';
import type { Destination } from '../transport/transport.ts';
import type { LocationView } from '../registrar/location-view.ts';
import { bindingDestination, reconnectTo } from '../registrar/binding-destination.ts';
import type { RouteDecision, Target } from './targets.ts';
import { bindingHop, type FlowMembers } from './flow-routes.ts';

/** What the locator needs: the DNS function's lookup, the location view, the extensions. */
export interface LocatorDeps {
  /** The DNS function's in-process lookup (extension, AOR, E.164 via ENUM → addresses). */
  readonly lookup: (ident: string) => Promise<readonly IdentificationTarget[]>;
  readonly location: LocationView;
  readonly extension: (number: string) => ExtensionRecord | undefined;
  readonly extensionByE164: (e164: string) => ExtensionRecord | undefined;
  readonly domain: string;
  readonly mode: 'proxy' | 'redirect';
  readonly tcp: boolean;
  /** Our name and our peers' SIP addresses: a TCP/TLS phone a peer holds is reached through it (flow-routes.ts); absent: always directly. */
  readonly members?: FlowMembers;
}

/** One address to route to: a flow, and the binding it is the source of when it is a registration. */
interface Found {
  readonly flow: FlowAddress;
  readonly binding?: BindingRecord;
}

/**
 * The routing decision for a callee of our domain (DESIGN.md call flow steps 3-5). An
 * extension number with registrations is routed from the location view itself, one target
 * per flow its phones registered from (the first binding of each); anything else (an E.164
 * number through ENUM, an extension without registrations but with an admin record
 * `<ext>.<zone>`) is asked of the DNS function. Then: relay to each address (the registered
 * Contact as Request-URI where the address is a registration), or redirect with 302 to them;
 * 480 for a known extension without an address, 404 for an unknown one.
 */
export function createLocator(deps: LocatorDeps): (user: string) => Promise<RouteDecision> {
  return async (user) => {
    const e164 = /^\+\d+$/.test(user);
    const ext = e164 ? deps.extensionByE164(user) : deps.extension(user);
    const aor = ext && `sip:${ext.number}@${deps.domain}`;
    // What the DNS function would answer for a registered extension (dns/identification.ts
    // extensionTargets over registrar/registered-contacts-view.ts), without the round trip.
    let found: readonly Found[] = aor && !e164 ? registered(deps.location.bindings(aor)) : [];
    if (found.length === 0) {
      const answer = await deps.lookup(user);
      const bindings = aor ? deps.location.bindings(aor) : [];
      found = answer.map((t) => ({ flow: t, binding: bindings.find((b) => sameFlow(parseSourceKey(b.source), t)) }));
    }
    if (found.length === 0) {
      return ext
        ? { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' }
        : { kind: 'reply', status: 404, reason: 'Not Found' };
    }
    const number = ext?.number ?? user;
    if (deps.mode === 'redirect') {
      // RFC 3261 §8.3 / §21.3.3: the caller retries at the callee's own address.
      return { kind: 'redirect', contacts: found.map(({ flow }) => addressUri(number, flow)) };
    }
    const targets: Target[] = [];
    for (const { flow, binding } of found) {
      const uri = binding?.contact ?? addressUri(number, flow);
      const extension = ext ? { extension: ext.number } : {};
      const hop = binding && deps.members ? bindingHop(binding, deps.members) : undefined;
      if (hop?.kind === 'holder') {
        // Through the peer holding the phone's connection (issue 19); should that peer not
        // answer at all (down: fail-over), or be shedding (503), straight to the phone as before.
        targets.push({ uri, dest: hop.dest, route: hop.route, fallbacks: [{ uri, dest: destination(flow, binding), ...extension }], ...extension });
        continue;
      }
      if (flow.transport === 'tcp' && !deps.tcp) continue;
      targets.push({ uri, dest: destination(flow, binding), ...extension });
    }
    return targets.length > 0 ? { kind: 'relay', targets } : { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  };
}

/** The flows the bindings were registered from, each once (the first binding of each), in binding order. */
function registered(bindings: readonly BindingRecord[]): Found[] {
  const out: Found[] = [];
  for (const binding of bindings) {
    const flow = parseSourceKey(binding.source);
    if (flow && !out.some((o) => sameFlow(o.flow, flow))) out.push({ flow, binding });
  }
  return out;
}

function sameFlow(a: FlowAddress | undefined, b: FlowAddress): boolean {
  return !!a && a.address === b.address && a.port === b.port && a.transport === b.transport;
}

/** `sip:<number>@<address>:<port>` with the transport when not UDP: an address without a Contact. */
function addressUri(number: string, flow: FlowAddress): string {
  return `sip:${number}@${uriHost(flow.address)}:${flow.port}${flow.transport === 'udp' ? '' : `;transport=${flow.transport}`}`;
}

/**
 * Where to send: a registration by its binding (binding-destination.ts: the address it
 * registered from, NAT-safe); an address without a binding (an admin record) as it is.
 */
function destination(flow: FlowAddress, binding: BindingRecord | undefined): Destination {
  const registered = binding && bindingDestination(binding);
  if (registered) return registered;
  if (flow.transport === 'udp') return { transport: 'udp', address: flow.address, port: flow.port };
  return { transport: flow.transport, ...reconnectTo(binding?.contact, flow), connection: connectionKey(flow.transport, flow.address, flow.port) };
}
