/**
 * Locating the SIP server of another domain (RFC 3263 §4): NAPTR → SRV → A/AAAA through the
 * appliance's own DNS function (our zones answered authoritatively, other names through the
 * `[dns] forwarders`, whose client caches answers by TTL in a bounded cache), giving the
 * ordered list of destinations the relay fails over along (§4.3). The choices themselves are
 * the pure functions of rfc3263-selection.ts.
 */
import { lookup } from 'node:dns/promises';
import type { DnsAnswer } from '../../dns/handler.ts';
import { RCODE, type ResourceRecord } from '../../dns/records.ts';
import type { Destination } from '../transport/transport.ts';
import { lookupPlan, naptrChoices, orderSrv, srvName, type LookupPlan, type SipWireTransport, type UriParts } from './rfc3263-selection.ts';

/** At most this many destinations per URI: fail-over is bounded by it (a hostile zone may list hundreds). */
export const MAX_DESTINATIONS = 8;
/** At most this many SRV names queried per URI (NAPTR choices or the per-transport fallbacks). */
const MAX_SRV_NAMES = 3;

/** What the resolver needs: a DNS question answered, our transports, randomness. */
export interface UriResolverDeps {
  /** In-process question to the DNS function (the same answer a trusted client gets). */
  readonly query: (name: string, type: 'NAPTR' | 'SRV' | 'A' | 'AAAA') => Promise<DnsAnswer>;
  /** Transports enabled in `[sip] transports`, in our order of preference. */
  readonly transports: readonly SipWireTransport[];
  /** [0, 1) for the RFC 2782 weighted choice; Math.random by default. */
  readonly random?: () => number;
  /**
   * Addresses of a host when the DNS function refuses the name (no forwarders configured):
   * the operating system's resolver (hosts file, its DNS), A/AAAA only. Default: node's lookup.
   */
  readonly systemLookup?: (host: string) => Promise<readonly string[]>;
}

/** Resolves SIP URIs of other domains to ordered destinations (RFC 3263 §4). */
export class UriResolver {
  private readonly random: () => number;
  private readonly systemLookup: (host: string) => Promise<readonly string[]>;

  constructor(private readonly deps: UriResolverDeps) {
    this.random = deps.random ?? Math.random;
    this.systemLookup = deps.systemLookup ?? ((host) => lookup(host, { all: true }).then((r) => r.map((a) => a.address), () => []));
  }

  /**
   * The destinations to try in order, best first; empty when the domain has none we can use.
   * TLS ones carry the URI's host as the name the server's certificate must show (RFC 5922 §4.1:
   * the domain looked up, not the SRV target).
   */
  async resolve(uri: UriParts): Promise<Destination[]> {
    const plan = lookupPlan(uri, this.deps.transports);
    if (!plan) return [];
    if (plan.kind === 'numeric') return [{ transport: plan.transport, address: plan.address, port: plan.port }];
    const found = await this.destinations(plan);
    return found.map((d) => (d.transport === 'tls' ? { ...d, serverName: plan.host } : d));
  }

  private async destinations(plan: LookupPlan): Promise<Destination[]> {
    switch (plan.kind) {
      case 'numeric':
        return [{ transport: plan.transport, address: plan.address, port: plan.port }];
      case 'address':
        return this.addresses(plan.host, plan.port, plan.transport, true);
      case 'srv': {
        const viaSrv = await this.viaSrv([{ transport: plan.transports[0], srv: srvName(plan.transports[0], plan.host) }]);
        return viaSrv.found ? viaSrv.destinations : this.hostFallback(plan.host, plan.transports[0]);
      }
      case 'naptr': {
        // §4.1: NAPTR first; without a usable one, SRV for each transport we support.
        const naptr = await this.records(plan.host, 'NAPTR');
        const choices = naptrChoices(naptr, plan.transports);
        const named = choices.length > 0 ? choices : plan.transports.map((t) => ({ transport: t, srv: srvName(t, plan.host) }));
        const viaSrv = await this.viaSrv(named);
        // §4.2: no SRV either: A/AAAA of the host, UDP for sip: (TCP if UDP is off), TLS for sips:.
        // An SRV "." (RFC 2782: decidedly no service) or a usable NAPTR counts as found: no fallback.
        return viaSrv.found || choices.length > 0 ? viaSrv.destinations : this.hostFallback(plan.host, plan.transports[0]);
      }
    }
  }

  private hostFallback(host: string, transport: SipWireTransport): Promise<Destination[]> {
    return this.addresses(host, transport === 'tls' ? 5061 : 5060, transport, true);
  }

  /** Each SRV name's targets in RFC 2782 order, each target's addresses, up to the bound. */
  private async viaSrv(names: readonly { transport: SipWireTransport; srv: string }[]): Promise<{ destinations: Destination[]; found: boolean }> {
    const out: Destination[] = [];
    const seen = new Set<string>();
    let found = false;
    for (const n of names.slice(0, MAX_SRV_NAMES)) {
      const records = await this.records(n.srv, 'SRV');
      found ||= records.some((r) => r.type === 'SRV');
      for (const s of orderSrv(records, this.random)) {
        if (out.length >= MAX_DESTINATIONS) return { destinations: out, found };
        for (const d of await this.addresses(s.target, s.port, n.transport, false)) {
          const key = `${d.transport}|${d.address}|${d.port}`;
          if (seen.has(key) || out.length >= MAX_DESTINATIONS) continue;
          seen.add(key);
          out.push(d);
        }
      }
    }
    return { destinations: out, found };
  }

  /** A then AAAA of a host (§4.2); `system`: fall back to the OS resolver for a refused name. */
  private async addresses(host: string, port: number, transport: SipWireTransport, system: boolean): Promise<Destination[]> {
    const [a, aaaa] = await Promise.all([this.answer(host, 'A'), this.answer(host, 'AAAA')]);
    let addrs = [...a.answers, ...aaaa.answers].flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.address] : []));
    if (addrs.length === 0 && system && a.rcode === RCODE.REFUSED) addrs = [...(await this.systemLookup(host))];
    return addrs.slice(0, MAX_DESTINATIONS).map((address) => ({ transport, address, port }));
  }

  private async records(name: string, type: 'NAPTR' | 'SRV'): Promise<readonly ResourceRecord[]> {
    const ans = await this.answer(name, type);
    return ans.rcode === RCODE.NOERROR ? ans.answers : [];
  }

  private async answer(name: string, type: 'NAPTR' | 'SRV' | 'A' | 'AAAA'): Promise<DnsAnswer> {
    try {
      return await this.deps.query(name, type);
    } catch {
      return { rcode: RCODE.SERVFAIL, authoritative: false, answers: [], authority: [], additional: [] };
    }
  }
}
