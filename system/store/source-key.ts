import { isIP } from 'node:net';

/** The transports a SIP flow can use (RFC 3261 §18; TLS §26). */
export type FlowTransport = 'udp' | 'tcp' | 'tls';

/** One flow's far end: transport, address (IPv6 without brackets) and port. */
export interface FlowAddress {
  readonly transport: FlowTransport;
  readonly address: string;
  readonly port: number;
}

/**
 * Where a registration or subscription came from, as stored (`BindingRecord.source`,
 * `SubscriptionRecord.source`) and replicated to peers: `<transport>:<address>:<port>`, the
 * address as the socket gave it (IPv6 without brackets: `udp:2001:db8::7:5060`). The one
 * owner of that format: built by `sourceKey`, read by `parseSourceKey`, nowhere else.
 */
export type SourceKey = `${FlowTransport}:${string}:${number}`;

/** The key of a flow's source (a received message's transport, address and port). */
export function sourceKey(flow: FlowAddress): SourceKey {
  return `${flow.transport}:${flow.address}:${flow.port}`;
}

/**
 * The flow a stored source names, or undefined when the text is not one: an unknown
 * transport, no address, or a port that is not 1-65535. The port is after the last colon,
 * so an IPv6 address needs no brackets; a bracketed one (`tcp:[::1]:5060`) is read too.
 * The address is not checked to be an IP literal (peer-binding-rules.ts does, at that edge).
 */
export function parseSourceKey(text: string): FlowAddress | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  const transport = text.slice(0, first);
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') return undefined;
  let address = text.slice(first + 1, last);
  if (address.startsWith('[') && address.endsWith(']') && isIP(address.slice(1, -1)) === 6) address = address.slice(1, -1);
  const portText = text.slice(last + 1);
  if (address === '' || !/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { transport, address, port };
}

/** A source for people (log lines, the event log): `udp 192.0.2.7:5060`; unparsable text as it is. */
export function describeSource(text: string): string {
  const flow = parseSourceKey(text);
  return flow ? `${flow.transport} ${flow.address}:${flow.port}` : text;
}
