import dgram from 'node:dgram';
import type { Source } from '../message/types.ts';
import type { MessageSink } from './transport.ts';
import { datagramSend, type DatagramSend } from './dgram-send.ts';

/** Largest datagram accepted (RFC 3261 §18.1.1 lets messages exceed the MTU on UDP up to 64 KB). */
const MAX_DATAGRAM = 65507;

/**
 * UDP edge: one socket on the shared SIP port (SO_REUSEPORT, so every connection control
 * section can bind it and the kernel spreads datagrams over them) and, when `ownPort` differs,
 * one socket of this worker's own for its Via, so responses to what it forwarded come back to it.
 * One address (one family); dual stack is one UdpEndpoints per family (sip-transport.ts).
 */
export class UdpEndpoints {
  private shared?: dgram.Socket;
  private own?: dgram.Socket;
  private readonly senders = new WeakMap<dgram.Socket, DatagramSend>();
  ownPort = 0;
  sharedPort = 0;

  /** `ipv6Only`: an IPv6 wildcard that must not take IPv4 too (IPv4 has its own sockets). */
  constructor(private readonly address: string, private readonly sink: MessageSink, private readonly opts: { readonly ipv6Only?: boolean } = {}) {}

  async open(sharedPort: number, ownPort: number | undefined): Promise<void> {
    await this.openOwn(sharedPort, ownPort);
    await this.openShared(sharedPort);
  }

  /**
   * Binds the own (Via) socket when `ownPort` asks for one. `exact`: the port must be that one
   * (a second family matching the first one's port); no fallback, the bind error is thrown.
   */
  async openOwn(sharedPort: number, ownPort: number | undefined, exact = false): Promise<void> {
    if (ownPort !== undefined && (ownPort === 0 || ownPort !== sharedPort)) {
      // The own socket first: a request read from the shared port the moment it is bound may
      // be forwarded at once, and its Via must already name a port that receives (a Via built
      // before this bind carried no usable port, and every response to it was lost: 408).
      try {
        this.own = await this.bind(ownPort, false);
      } catch (err) {
        // The slot's port is taken (another program, or a predecessor still closing): a port of
        // the OS's choosing still works; only a restart's in-flight responses are lost then.
        if (ownPort === 0 || exact) throw err;
        this.own = await this.bind(0, false);
        this.ownPortFallback = `Via port ${ownPort} is in use (${(err as Error).message}); using ${this.own.address().port}`;
      }
      this.ownPort = this.own.address().port;
    }
  }

  /** Binds the shared socket (after openOwn); without an own socket it serves the Via too. */
  async openShared(sharedPort: number): Promise<void> {
    this.shared = await this.bind(sharedPort, true);
    this.sharedPort = this.shared.address().port;
    if (!this.own) {
      this.own = this.shared;
      this.ownPort = this.sharedPort;
    }
  }

  /** Set when the configured Via port could not be bound and another was used (logged by the caller). */
  ownPortFallback: string | undefined;

  send(address: string, port: number, data: Buffer, fromShared: boolean): boolean {
    const sock = (fromShared ? this.shared : this.own) ?? this.own;
    if (!sock) return false;
    // A destination taken from a message (Via, Contact) may be nonsense, e.g. port 0 (seen
    // from sipp under overload): refuse it here rather than let node:dgram throw.
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    // No per-send callback: it costs ~6 µs a datagram in Bun (docs/ARCHITECTURE.md); errors
    // (ICMP, full buffers) reach the socket's 'error' handler and are transient on UDP: the
    // transaction timers cover them.
    let send = this.senders.get(sock);
    if (!send) {
      send = datagramSend(sock);
      this.senders.set(sock, send);
    }
    try {
      return send(data, port, address);
    } catch {
      return false;
    }
  }

  /** Stops receiving on the shared port (draining); the own port keeps working. */
  async closeShared(): Promise<void> {
    const shared = this.shared;
    if (!shared || shared === this.own) return;
    this.shared = undefined;
    await new Promise<void>((r) => shared.close(() => r()));
  }

  async close(): Promise<void> {
    const socks = new Set([this.shared, this.own].filter((s): s is dgram.Socket => !!s));
    await Promise.all([...socks].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.shared = this.own = undefined;
  }

  private bind(port: number, reusePort: boolean): Promise<dgram.Socket> {
    const family = this.address.includes(':') ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type: family, reuseAddr: reusePort, reusePort, recvBufferSize: 4 << 20, ...(this.opts.ipv6Only ? { ipv6Only: true } : {}) } as dgram.SocketOptions);
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => {
        try { sock.close(); } catch { /* never bound */ }
        reject(err);
      };
      sock.once('error', failed);
      sock.bind(port, this.address, () => {
        sock.off('error', failed);
        sock.on('error', () => { /* keep serving: per-datagram errors are not fatal */ });
        const localPort = sock.address().port;
        sock.on('message', (msg, rinfo) => {
          if (msg.length > MAX_DATAGRAM) return;
          const source: Source = { transport: 'udp', address: rinfo.address, port: rinfo.port, localPort };
          try {
            this.sink(msg, source);
          } catch {
            // One bad datagram must never take the worker down; the SIP layer already turns
            // what it understands into replies, anything left is dropped here.
          }
        });
        resolve(sock);
      });
    });
  }
}
