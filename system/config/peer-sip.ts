/** `[[peers]] sip` (and `sip_tls`): `host:port`, the host an IPv4 address or a name (no IPv6 literal). */
export const PEER_SIP_PATTERN = /^[^\s:]+:\d{1,5}$/;

/**
 * The address and port of a peer's SIP service (`[[peers]] sip`, validated by
 * PEER_SIP_PATTERN at parse): the one reader of that format (SIP settings, the source guard,
 * the flow hop, the SRV targets and the hand-off target).
 */
export function peerSipAddress(sip: string): { readonly address: string; readonly port: number } {
  const i = sip.lastIndexOf(':');
  return { address: sip.slice(0, i), port: Number(sip.slice(i + 1)) };
}
