import type { Source } from '../message/types.ts';

/** A SIP transport on the wire: datagrams, or a stream (TCP, TLS: RFC 3261 §26). */
export type WireTransport = 'udp' | 'tcp' | 'tls';

/** True for the stream transports (framed by Content-Length, no retransmissions: RFC 3261 §18). */
export function isStream(t: WireTransport): boolean {
  return t !== 'udp';
}

/** Where to send a message: transport, address and port, and for TCP/TLS a known connection. */
export interface Destination {
  readonly transport: WireTransport;
  readonly address: string;
  readonly port: number;
  /** TCP connection key to reuse (a phone registered over TCP keeps its connection). */
  readonly connection?: string;
  /**
   * UDP: send from the shared port even for requests. A phone behind NAT opened its pinhole
   * towards the shared port (it registered there); a NAT that filters by our address and port
   * (RFC 4787 §5) drops what comes from a worker's own port. Replies still come to our Via.
   */
  readonly fromShared?: boolean;
  /**
   * TCP: only over `connection` (held here or by a sibling), never a new connection: the phone
   * is behind NAT and its Contact is a private address (RFC 5626 §5.3: the flow is gone, so is
   * the way to it). The send fails at once and the transaction reports the phone unreachable.
   */
  readonly flowOnly?: boolean;
  /**
   * TLS to a server: the name its certificate must carry (RFC 5922 §7.2, the domain that was
   * resolved); without it, its address is checked.
   */
  readonly serverName?: string;
  /**
   * TLS to a server we must be sure of (a trunk's provider): its certificate is verified
   * whatever `[sip.tls] verify` says, against `ca` (PEM text) when given, else the edge's CAs
   * (`[sip.tls] ca`, else the system's). A certificate refused fails the send (`SendFailed`).
   */
  readonly trust?: { readonly ca?: string };
}

/**
 * Told when bytes accepted by `send` never left: the connection to the destination could not
 * be opened or its TLS handshake failed (RFC 3261 §18.4: the transaction sees a transport
 * error at once rather than its timeout), with why (`the server's certificate was refused: ...`).
 */
export type SendFailed = (reason: string) => void;

/** Receives whole SIP messages (one datagram, or one framed stream message). */
export type MessageSink = (data: Buffer, source: Source) => void;

/**
 * The SIP core sends through this interface and never sees a socket (STYLE.md §2).
 * `send` returns false when the message could not be handed to the network.
 */
export interface SipTransport {
  /** `fromShared`: send from the shared port (responses) rather than this worker's own port. */
  send(dest: Destination, data: Buffer, fromShared?: boolean, onFailed?: SendFailed): boolean;
  /** True when the transport can reach a TCP connection with this key (or address:port). */
  hasConnection(key: string): boolean;
  close(): Promise<void>;
}
