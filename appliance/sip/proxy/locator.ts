import type { BindingRecord, ExtensionRecord } from '../../../system/store/index.ts';
import type { IdentificationTarget } from '../../dns/identification.ts';
import { parseSourceKey } from '../../../system/store/source-key.ts';
import { uriHost } from '../message/uri.ts';
import { connectionKey } from '../transport/connection-key.ts';
import type { Destination } from '../transport/transport.ts';
import type { LocationView } from '../registrar/location-view.ts';
import { bindingDestination, reconnectTo } from '../registrar/binding-destination.ts';
import type { RouteDecision, Target } from './targets.ts';

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
}

/**
 * The routing decision for a callee of our domain (DESIGN.md call flow steps 3-5): ask the
 * DNS function for the identification's addresses; relay to each (the registered Contact as
 * Request-URI where the address is a registration), or redirect with 302 to them; 480 for a
 * known extension without an address, 404 for an unknown one.
 */
export function createLocator(deps: LocatorDeps): (user: string) => Promise<RouteDecision> {
  return async (user) => {
    const ext = /^\+\d+$/.test(user) ? deps.extensionByE164(user) : deps.extension(user);
    const found = await deps.lookup(user);
    if (found.length === 0) {
      return ext
        ? { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' }
        : { kind: 'reply', status: 404, reason: 'Not Found' };
    }
    const number = ext?.number ?? user;
    const bindings = ext ? deps.location.bindings(`sip:${ext.number}@${deps.domain}`) : [];
    if (deps.mode === 'redirect') {
      // RFC 3261 §8.3 / §21.3.3: the caller retries at the callee's own address.
      return { kind: 'redirect', contacts: found.map((t) => `sip:${number}@${uriHost(t.address)}:${t.port}${t.transport === 'udp' ? '' : `;transport=${t.transport}`}`) };
    }
    const targets: Target[] = [];
    for (const t of found) {
      if (t.transport === 'tcp' && !deps.tcp) continue;
      const binding = bindings.find((b) => matches(b, t));
      const uri = binding?.contact ?? `sip:${number}@${uriHost(t.address)}:${t.port}${t.transport === 'udp' ? '' : `;transport=${t.transport}`}`;
      targets.push({ uri, dest: destination(t, binding), ...(ext ? { extension: ext.number } : {}) });
    }
    return targets.length > 0 ? { kind: 'relay', targets } : { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  };
}

/**
 * Where to send: a registration by its binding (binding-destination.ts: the address it
 * registered from, NAT-safe); an address without a binding (an admin record) as it is.
 */
function destination(t: IdentificationTarget, binding: BindingRecord | undefined): Destination {
  const registered = binding && bindingDestination(binding);
  if (registered) return registered;
  if (t.transport === 'udp') return { transport: 'udp', address: t.address, port: t.port };
  return { transport: t.transport, ...reconnectTo(binding?.contact, t), connection: connectionKey(t.transport, t.address, t.port) };
}

function matches(b: BindingRecord, t: IdentificationTarget): boolean {
  const a = parseSourceKey(b.source);
  return !!a && a.address === t.address && a.port === t.port && a.transport === t.transport;
}
