import { parseSourceKey } from '../../../system/store/source-key.ts';

/** The stream transports (RFC 3261 §18.3; TLS §26). */
export type StreamTransport = 'tcp' | 'tls';

/**
 * The key of one TCP or TLS connection, by its far end: `<address>:<port>` for TCP and
 * `tls:<address>:<port>` for TLS, so the two edges' keys never collide in the one table and
 * the one IPC that say which worker holds which phone (connection-control/worker-main.ts).
 * IPv6 addresses without brackets (the port is after the last colon). The one owner of that
 * format: built by `connectionKey`, read by `parseConnectionKey`.
 */
export type ConnectionKey = `${string}:${number}`;

const TLS_PREFIX = 'tls:';

/** The key of the connection to or from address:port over `transport`. */
export function connectionKey(transport: StreamTransport, address: string, port: number): ConnectionKey {
  return `${transport === 'tls' ? TLS_PREFIX : ''}${address}:${port}` as ConnectionKey;
}

/** The stream transport a connection key belongs to (what a key for another edge is sent over). */
export function connectionTransport(key: string): StreamTransport {
  return key.startsWith(TLS_PREFIX) ? 'tls' : 'tcp';
}

/** The far end a connection key names, or undefined when it is not a key. */
export function parseConnectionKey(key: string): { readonly transport: StreamTransport; readonly address: string; readonly port: number } | undefined {
  const transport = connectionTransport(key);
  const flow = parseSourceKey(transport === 'tls' ? key : `tcp:${key}`);
  return flow && { transport, address: flow.address, port: flow.port };
}

/** The far end of a connection for people (log lines): `address:port`, without the transport. */
export function describeConnection(key: string): string {
  return key.startsWith(TLS_PREFIX) ? key.slice(TLS_PREFIX.length) : key;
}
