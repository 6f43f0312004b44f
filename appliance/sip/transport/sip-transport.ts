import type { SipTcpLimits, Transport } from '../../../system/config/index.ts';
import type { Destination, MessageSink, SipTransport } from './transport.ts';
import { TcpEndpoints, type StreamTls } from './tcp-transport.ts';
import { UdpEndpoints } from './udp-transport.ts';

/** Options for opening the SIP transports of one connection control section. */
export interface TransportOptions {
  readonly address: string;
  /** The shared SIP port (0: any free port, for tests). */
  readonly port: number;
  /** This worker's own UDP port for its Via; undefined: use the shared port. */
  readonly ownPort?: number;
  readonly transports: readonly Transport[];
  /** Bounds on SIP over TCP ([sip] tcp_* keys); they bound TLS too. */
  readonly tcp: SipTcpLimits;
  /** SIP over TLS (`[sip.tls]`, when transports has tls): its shared port (0: any) and certificate. */
  readonly tls?: StreamTls & { readonly port: number };
}

/** UDP, TCP and TLS endpoints behind the one SipTransport interface the core uses. */
export class SipTransports implements SipTransport {
  readonly udp: UdpEndpoints;
  readonly tcp: TcpEndpoints;
  /** SIP over TLS: the TCP edge with a certificate, on its own port (RFC 3261 §26.2.1). */
  readonly tls?: TcpEndpoints;
  private tcpOn = false;

  constructor(private readonly opts: TransportOptions, sink: MessageSink, onError?: (e: string) => void) {
    this.udp = new UdpEndpoints(opts.address, sink);
    this.tcp = new TcpEndpoints(opts.address, sink, opts.tcp, onError);
    if (opts.tls && opts.transports.includes('tls')) this.tls = new TcpEndpoints(opts.address, sink, opts.tcp, onError, opts.tls);
  }

  async open(): Promise<void> {
    await this.udp.open(this.opts.port, this.opts.ownPort);
    if (this.opts.transports.includes('tcp')) {
      // Same port number as UDP, so one SRV target serves both (RFC 3263 §4.2).
      this.tcp.open(this.udp.sharedPort);
      this.tcpOn = true;
    }
    this.tls?.open(this.opts.tls!.port);
  }

  /** The shared TLS port actually bound; undefined when TLS is off. */
  get tlsPort(): number | undefined {
    return this.tls?.port;
  }

  /** The port other elements send to (shared UDP/TCP port). */
  get port(): number {
    return this.udp.sharedPort;
  }

  /** The port this worker puts in its Via. */
  get viaPort(): number {
    return this.udp.ownPort;
  }

  send(dest: Destination, data: Buffer, fromShared = false): boolean {
    if (dest.transport === 'tls') return !!this.tls && this.tls.send(dest.address, dest.port, data, dest.connection, dest.flowOnly !== true, dest.serverName);
    if (dest.transport === 'tcp') return this.tcpOn && this.tcp.send(dest.address, dest.port, data, dest.connection, dest.flowOnly !== true);
    return this.udp.send(dest.address, dest.port, data, fromShared || dest.fromShared === true);
  }

  /** Draining: leave the shared port (UDP and TCP listener) so new work goes to the others. */
  async leaveShared(): Promise<void> {
    this.tcp.stopListening();
    this.tls?.stopListening();
    await this.udp.closeShared();
  }

  hasConnection(key: string): boolean {
    if (this.tls && key.startsWith(this.tls.keyPrefix)) return this.tls.hasConnection(key);
    return this.tcp.hasConnection(key);
  }

  async close(): Promise<void> {
    await Promise.all([this.udp.close(), this.tcp.close(), this.tls?.close()]);
  }
}
