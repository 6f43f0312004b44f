import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { defaultPort, socketHost, uriTransport, type SipUri } from '../message/uri.ts';
import { bindingDestination } from '../registrar/binding-destination.ts';
import type { LocationView } from '../registrar/location-view.ts';
import type { Destination } from '../transport/transport.ts';
import type { Target } from './targets.ts';

/** What the resolver needs: the location view, and the RFC 3263 resolver of other domains. */
export interface TargetResolverDeps {
  readonly location: LocationView;
  /** Destinations of a URI of another domain, best first (RFC 3263 §4, proxy/uri-resolver.ts); absent: A/AAAA only. */
  readonly resolveDomain?: (uri: SipUri) => Promise<readonly Destination[]>;
}

/**
 * Where a URI that names no callee of our domain goes (a Route, a strict router's Request-URI,
 * a trunk's registrar, an outside forward): a registered phone's Contact by its binding (its
 * flow, binding-destination.ts); an IP literal as it is; a host name through RFC 3263
 * (NAPTR → SRV → A/AAAA, the rest of the list the fail-over order, §4.3), or the operating
 * system's resolver when there is no RFC 3263 resolver.
 */
export function createTargetResolver(deps: TargetResolverDeps): (uri: SipUri) => Target | undefined | Promise<Target | undefined> {
  return (uri) => {
    const text = `${uri.schema}:${uri.user ? `${uri.user}@` : ''}${uri.host}${uri.port ? `:${uri.port}` : ''}`;
    const binding = deps.location.bindingForContact(text) ?? deps.location.bindingForContact(stringUri(uri));
    if (binding) {
      const dest = bindingDestination(binding);
      if (dest) return { uri: binding.contact, dest };
    }
    const host = socketHost(uri.host);
    const transport = uriTransport(uri);
    const port = defaultPort(uri);
    if (isIP(host)) return { uri: stringUri(uri), dest: { transport, address: host, port } };
    if (deps.resolveDomain) {
      // RFC 3263 §4: NAPTR → SRV → A/AAAA; the rest of the list is the fail-over order (§4.3).
      const full = stringUri(uri);
      return deps.resolveDomain(uri).then(([first, ...rest]) => first && { uri: full, dest: first, fallbacks: rest.map((dest) => ({ uri: full, dest })) });
    }
    return lookup(host).then(
      (r) => ({ uri: stringUri(uri), dest: { transport, address: r.address, port } }),
      () => undefined,
    );
  };
}

/** The URI as text with its parameters, without its headers (the Request-URI of a forwarded request). */
function stringUri(uri: SipUri): string {
  const params = Object.entries(uri.params).map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `${uri.schema}:${uri.user ? `${uri.user}${uri.password ? `:${uri.password}` : ''}@` : ''}${uri.host}${uri.port ? `:${uri.port}` : ''}${params}`;
}
