import { isIP } from 'node:net';
import type { BindingRecord } from '../../../system/store/index.ts';
import { defaultPort, parseSipUri, socketHost } from '../message/uri.ts';
import type { Destination } from '../transport/transport.ts';
import { sourceAddress } from './location-view.ts';

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
  const src = sourceAddress(b.source);
  if (!src) return undefined;
  if (src.transport === 'udp') return { transport: 'udp', address: src.address, port: src.port, fromShared: true };
  // TLS connections are keyed `tls:addr:port` (tcp-transport.ts), so the two never collide.
  const connection = `${src.transport === 'tls' ? 'tls:' : ''}${src.address}:${src.port}`;
  const contact = b.behindNat ? undefined : parseSipUri(b.contact);
  const host = contact ? socketHost(contact.host) : undefined;
  const reconnect = contact && host && isIP(host) ? { address: host, port: defaultPort(contact) } : { address: src.address, port: src.port };
  return { transport: src.transport, ...reconnect, connection, ...(b.behindNat ? { flowOnly: true } : {}) };
}
