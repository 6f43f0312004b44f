import { peerSipAddress, type ApplianceConfig } from '../../system/config/index.ts';
import { ownSipTarget, type SipTarget } from '../dns/index.ts';
import type { PeerRoles } from '../peers/peer-service.ts';
import type { SrvPlace } from '../peers/srv-weights.ts';
import type { HandOffTarget } from '../sip/pipeline/admission-control.ts';

/**
 * The SIP SRV targets the DNS function publishes for the office domain (RFC 2782 priorities:
 * lower first): this appliance and the peers that are up, each at the priority and weight of
 * `places` (load-weighted SRV, peers/srv-weights.ts: equal priorities, weights from load;
 * overloaded or handed off after the others). Without `places`: this appliance first, the peers
 * after it, after a hand-off the peer first. A peer that is down is left out (fail-over: we
 * answer for its phones).
 */
export function sipTargetsFor(roles: PeerRoles, config: ApplianceConfig, sipPort: number, places?: ReadonlyMap<string, SrvPlace>): SipTarget[] {
  const own = ownSipTarget(config, { sip: sipPort, ...(config.sip.transports.includes('tls') ? { tls: config.sip.tls.port } : {}) });
  const self = { ...own, ...places?.get(config.name) };
  const peers = roles.upPeers.map((l): SipTarget => {
    const { address, port } = peerSipAddress(l.config.sip);
    const place = places?.get(l.name) ?? { priority: roles.handedOffTo === l ? 5 : 20, weight: 100 };
    return { host: `sip-${l.name.toLowerCase()}.${config.dns.zone}`, address, port, ...place };
  });
  return [self, ...peers].sort((a, b) => a.priority - b.priority);
}

/** Where new work goes while handed off, or null. */
export function handOffTargetFor(roles: PeerRoles, config: ApplianceConfig): HandOffTarget | null {
  if (!roles.handedOffTo) return null;
  return { ...peerSipAddress(roles.handedOffTo.config.sip), mode: config.control.handOffMode };
}
