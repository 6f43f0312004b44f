import type { SipTcpLimits, Transport } from '../../../system/config/index.ts';
import type { Destination, MessageSink, SipTransport } from './transport.ts';
import { TcpEndpoints } from './tcp-transport.ts';
import { UdpEndpoints } from './udp-transport.ts';

/** Options for opening the SIP transports of one connection control section. */
export interface TransportOptions {
  readonly address: string;
  /** The shared SIP port (0: any free port, for tests). */
  readonly port: number;
  /** This worker's own UDP port for its Via; undefined: use the shared port. */
  readonly ownPort?: number;
  readonly transports: readonly Transport[];
  /** Bounds on SIP over TCP ([sip] tcp_* keys). */
  readonly tcp: SipTcpLimits;
}

/** UDP and TCP endpoints behind the one SipTransport interface the core uses. */
export class SipTransports implements SipTransport {
  readonly udp: UdpEndpoints;
  readonly tcp: TcpEndpoints;
  private tcpOn = false;

  constructor(private readonly opts: TransportOptions, sink: MessageSink, onError?: (e: string) => void) {
    this.udp = new UdpEndpoints(opts.address, sink);
    this.tcp = new TcpEndpoints(opts.address, sink, opts.tcp, onError);
  }

  async open(): Promise<void> {
    await this.udp.open(this.opts.port, this.opts.ownPort);
    if (this.opts.transports.includes('tcp')) {
      // Same port number as UDP, so one SRV target serves both (RFC 3263 §4.2).
      this.tcp.open(this.udp.sharedPort);
      this.tcpOn = true;
    }
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
    if (dest.transport === 'tcp') return this.tcpOn && this.tcp.send(dest.address, dest.port, data, dest.connection, dest.flowOnly !== true);
    return this.udp.send(dest.address, dest.port, data, fromShared || dest.fromShared === true);
  }

  /** Draining: leave the shared port (UDP and TCP listener) so new work goes to the others. */
  async leaveShared(): Promise<void> {
    this.tcp.stopListening();
    await this.udp.closeShared();
  }

  hasConnection(key: string): boolean {
    return this.tcp.hasConnection(key);
  }

  async close(): Promise<void> {
    await Promise.all([this.udp.close(), this.tcp.close()]);
  }
}
