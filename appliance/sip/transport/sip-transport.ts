import { isIP } from 'node:net';
import type { SipTcpLimits, Transport } from '../../../system/config/index.ts';
import { connectionTransport } from './connection-key.ts';
import type { Destination, MessageSink, SendFailed, SipTransport } from './transport.ts';
import { TcpEndpoints, type StreamTls } from './tcp-transport.ts';
import { UdpEndpoints } from './udp-transport.ts';

/** Options for opening the SIP transports of one connection control section. */
export interface TransportOptions {
  /**
   * The addresses to bind, at most one per family, the primary first (`[sip] listen`). Every
   * family gets the same port numbers (shared, own Via, TLS), so one port names us in either.
   */
  readonly addresses: readonly string[];
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

/** Binding a second family on the first one's ports: tries before giving up on OS-chosen ports. */
const FAMILY_PORT_TRIES = 5;

/**
 * UDP, TCP and TLS endpoints behind the one SipTransport interface the core uses. Dual stack
 * (docs/SIP.md "IPv6"): UDP sockets per family (sent from the destination's family), one
 * TCP/TLS edge with a listener per address (outgoing connections take the kernel's source).
 */
export class SipTransports implements SipTransport {
  /** The primary family's UDP sockets (the first listen address). */
  get udp(): UdpEndpoints {
    return this.udpFamilies[0];
  }
  /** UDP sockets per listen address, the primary first. */
  udpFamilies: UdpEndpoints[] = [];
  readonly tcp: TcpEndpoints;
  /** SIP over TLS: the TCP edge with a certificate, on its own port (RFC 3261 §26.2.1). */
  readonly tls?: TcpEndpoints;
  private tcpOn = false;

  constructor(private readonly opts: TransportOptions, private readonly sink: MessageSink, onError?: (e: string) => void) {
    this.udpFamilies = this.udpEndpoints();
    this.tcp = new TcpEndpoints(opts.addresses, sink, opts.tcp, onError);
    if (opts.tls && opts.transports.includes('tls')) this.tls = new TcpEndpoints(opts.addresses, sink, opts.tcp, onError, opts.tls);
  }

  async open(): Promise<void> {
    let ownPort = this.opts.ownPort;
    let fallback: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.openUdp(ownPort);
        break;
      } catch (err) {
        await Promise.all(this.udpFamilies.map((u) => u.close()));
        if (this.udpFamilies.length < 2 || attempt >= FAMILY_PORT_TRIES) throw err;
        // A second family could not bind the port the first one got. A slot's Via port taken in
        // one family only: one of the OS's choosing, as when it is taken outright (udp-transport.ts).
        // Ports the OS chose: choose again. A configured shared port: nothing to choose, fail.
        if (ownPort !== undefined && ownPort !== 0 && ownPort !== this.opts.port) {
          fallback = `Via port ${ownPort} is in use in one family (${(err as Error).message}); using one of the OS's choosing`;
          ownPort = 0;
        } else if (this.opts.port !== 0 && ownPort !== 0) {
          throw err;
        }
        this.udpFamilies = this.udpEndpoints();
      }
    }
    if (fallback) this.udp.ownPortFallback = `${fallback}: ${this.udp.ownPort}`;
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

  send(dest: Destination, data: Buffer, fromShared = false, onFailed?: SendFailed): boolean {
    if (dest.transport === 'tls') return !!this.tls && this.tls.send(dest.address, dest.port, data, dest.connection, dest.flowOnly !== true, dest.serverName, { trust: dest.trust, onFailed });
    if (dest.transport === 'tcp') return this.tcpOn && this.tcp.send(dest.address, dest.port, data, dest.connection, dest.flowOnly !== true, undefined, { onFailed });
    return this.udpFor(dest.address).send(dest.address, dest.port, data, fromShared || dest.fromShared === true);
  }

  /** The UDP sockets of the destination's family; the primary when that family is not listed. */
  private udpFor(address: string): UdpEndpoints {
    if (this.udpFamilies.length === 1) return this.udpFamilies[0];
    const family = isIP(address) === 6 ? 6 : 4;
    return this.udpFamilies.find((_, i) => (isIP(this.opts.addresses[i]) === 6 ? 6 : 4) === family) ?? this.udpFamilies[0];
  }

  /** Draining: leave the shared port (UDP and TCP listener) so new work goes to the others. */
  async leaveShared(): Promise<void> {
    this.tcp.stopListening();
    this.tls?.stopListening();
    await Promise.all(this.udpFamilies.map((u) => u.closeShared()));
  }

  private udpEndpoints(): UdpEndpoints[] {
    const dual = this.opts.addresses.length > 1;
    return this.opts.addresses.map((a) => new UdpEndpoints(a, this.sink, { ipv6Only: dual && a === '::' }));
  }

  /**
   * Every family's own (Via) socket before any shared one (udp-transport.ts: a request read
   * from a shared port may be forwarded at once, over either family); the other families bind
   * the ports the primary got.
   */
  private async openUdp(ownPort: number | undefined): Promise<void> {
    const [primary, ...others] = this.udpFamilies;
    await primary.openOwn(this.opts.port, ownPort);
    // The primary binds its shared port first when it is OS-chosen and there is no own socket:
    // the others need its number. (No own socket: nothing is forwarded with a Via before then.)
    const own = ownPort !== undefined && (ownPort === 0 || ownPort !== this.opts.port);
    if (!own) {
      await primary.openShared(this.opts.port);
      for (const u of others) await u.open(primary.sharedPort, undefined);
      return;
    }
    for (const u of others) await u.openOwn(this.opts.port, primary.ownPort, true);
    await primary.openShared(this.opts.port);
    for (const u of others) await u.openShared(primary.sharedPort);
  }

  hasConnection(key: string): boolean {
    if (this.tls && connectionTransport(key) === 'tls') return this.tls.hasConnection(key);
    return this.tcp.hasConnection(key);
  }

  async close(): Promise<void> {
    await Promise.all([...this.udpFamilies.map((u) => u.close()), this.tcp.close(), this.tls?.close()]);
  }
}
