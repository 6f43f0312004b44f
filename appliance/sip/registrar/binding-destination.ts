import { isIP } from 'node:net';
import type { BindingRecord } from '../../../system/store/index.ts';
import { parseSourceKey } from '../../../system/store/source-key.ts';
import { defaultPort, parseSipUri, socketHost } from '../message/uri.ts';
import { connectionKey } from '../transport/connection-key.ts';
import type { Destination } from '../transport/transport.ts';

/**
 * Where a request for a registered phone goes, from its binding (RFC 5626 §5.3 flow semantics,
 * like Kamailio's `fix_nated_register`): never to the Contact's address as such, but
 * - UDP: to the address and port the REGISTER came from, sent from the shared port it came to
 *   (the NAT pinhole is between those two);
 * - TCP: over the connection the REGISTER came on while it lives; when it is gone, a new one to
 *   the Contact's address (RFC 3261 §18.1.1: the ephemeral port is gone) unless the phone is behind
 *   NAT, whose private Contact cannot be reached: then nothing is opened (`flowOnly`), the send
 *   fails at once and the phone counts as unreachable.
 */
export function bindingDestination(b: BindingRecord): Destination | undefined {
  return flowDestination(b.source, b.contact, b.behindNat === true);
}

/**
 * Where requests go for a flow a phone opened (`source`, a stored source key) with `contact`
 * as its Contact: a registration (above) or a subscription, whose NOTIFYs go the same way
 * (events/source-destination.ts). Undefined for a source that is not a flow.
 */
export function flowDestination(source: string, contact: string, behindNat: boolean): Destination | undefined {
  const src = parseSourceKey(source);
  if (!src) return undefined;
  if (src.transport === 'udp') return { transport: 'udp', address: src.address, port: src.port, fromShared: true };
  const connection = connectionKey(src.transport, src.address, src.port);
  return { transport: src.transport, ...reconnectTo(behindNat ? undefined : contact, src), connection, ...(behindNat ? { flowOnly: true } : {}) };
}

/**
 * Where a new stream connection goes when the flow's own is gone: the Contact's address when it
 * is an IP literal (RFC 3261 §18.1.1), else the flow's far end.
 */
export function reconnectTo(contact: string | undefined, flow: { readonly address: string; readonly port: number }): { address: string; port: number } {
  const uri = contact === undefined ? undefined : parseSipUri(contact);
  const host = uri ? socketHost(uri.host) : undefined;
  return uri && host && isIP(host) ? { address: host, port: defaultPort(uri) } : { address: flow.address, port: flow.port };
}
