import { isIP } from 'node:net';
import { defaultPort, parseSipUri, socketHost } from '../message/uri.ts';
import { sourceAddress } from '../registrar/location-view.ts';
import type { Destination } from '../transport/transport.ts';

/** Where a subscription's NOTIFYs go: the SUBSCRIBE's source (UDP from the shared port, NAT-safe; a stream over its connection). */
export function destinationOf(rec: { readonly source: string; readonly contact: string }): Destination | undefined {
  const src = sourceAddress(rec.source);
  if (!src) return undefined;
  if (src.transport === 'udp') return { transport: 'udp', address: src.address, port: src.port, fromShared: true };
  const connection = `${src.transport === 'tls' ? 'tls:' : ''}${src.address}:${src.port}`;
  const contact = parseSipUri(rec.contact);
  const host = contact ? socketHost(contact.host) : undefined;
  const reconnect = contact && host && isIP(host) ? { address: host, port: defaultPort(contact) } : { address: src.address, port: src.port };
  return { transport: src.transport, ...reconnect, connection };
}
