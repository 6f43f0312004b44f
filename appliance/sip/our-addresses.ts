import type { Via } from 'sip';
import { socketHost } from './message/uri.ts';
import type { SipSettings } from './pipeline/context.ts';
import type { LocalAddresses } from './pipeline/services.ts';
import { WORKER_PORT_PARAM } from './proxy/forwarding.ts';

/** What says "this appliance" in a message: its host names and addresses, its ports, its workers' Via ports. */
export type OurAddresses = Pick<SipSettings, 'localHosts' | 'advertise' | 'port' | 'viaPort' | 'tlsPort' | 'workerViaPorts'>;

/** True when host:port is one of our Vias / Record-Routes (the shared port, this worker's, the TLS port). */
export function isUs(s: OurAddresses, host: string, port: number | undefined): boolean {
  const p = port ?? 5060;
  return (p === s.port || p === s.viaPort || p === s.tlsPort) && (s.localHosts.has(host.toLowerCase()) || socketHost(host) === s.advertise);
}

/** Is the URI host one of ours (domain, our addresses; IPv6 with or without brackets)? */
export function isLocalHost(s: OurAddresses, host: string): boolean {
  return s.localHosts.has(host.toLowerCase()) || s.localHosts.has(socketHost(host));
}

/**
 * The sibling worker whose client transaction a response belongs to, by its top Via (our Via
 * of another worker: its own port over UDP, `wport` on a stream, proxy/forwarding.ts ourVia),
 * or undefined when it is this worker's or nobody's. `announced`: sibling Via ports told by the
 * control section (fallback ports); the slots' ports are known from the config.
 */
export function siblingOwner(s: OurAddresses, via: Via, announced: ReadonlySet<number>): number | undefined {
  const owner = Number(via.params[WORKER_PORT_PARAM]) || via.port;
  const viaIsOurs = owner === via.port ? isUs(s, via.host, via.port) : owner === s.viaPort;
  if (viaIsOurs || owner === undefined || !isLocalHost(s, via.host)) return undefined;
  const { base, count } = s.workerViaPorts;
  const sibling = owner !== s.viaPort && ((owner >= base && owner < base + count) || announced.has(owner));
  return sibling ? owner : undefined;
}

/** These answers as the stages see them (pipeline/services.ts `LocalAddresses`), for the settings in force. */
export function addressesPart(s: OurAddresses): LocalAddresses {
  return {
    isUs: (host, port) => isUs(s, host, port),
    isLocalHost: (host) => isLocalHost(s, host),
  };
}
