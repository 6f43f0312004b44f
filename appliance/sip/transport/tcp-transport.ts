import type { Socket, TCPSocketListener } from 'bun';
import type { Source } from '../message/types.ts';
import { StreamFramer } from './stream-framer.ts';
import type { MessageSink } from './transport.ts';

interface Conn {
  key: string;
  framer: StreamFramer;
  socket?: Socket<Conn>;
  /** Bytes queued while an outgoing connection is being opened. */
  pending: Buffer[];
  localPort: number;
}

/** Idle TCP connections are closed after this long without traffic (phones re-register sooner). */
const IDLE_MS = 15 * 60_000;

/**
 * TCP edge (RFC 3261 §18): accepts connections on the SIP port, frames messages, and sends
 * over an existing connection to the peer (the one a phone registered over) or opens one.
 */
export class TcpEndpoints {
  private listener?: TCPSocketListener<Conn>;
  private readonly conns = new Map<string, Conn>();
  port = 0;
  /** Told when a connection opens or closes, so sibling workers know who holds which phone. */
  onConnectionChange?: (key: string, open: boolean) => void;
  /**
   * Hands bytes for a connection held by another worker to it; returns false when no sibling
   * holds `key` (then this worker connects itself).
   */
  remoteWrite?: (key: string, address: string, port: number, data: Buffer) => boolean;

  constructor(private readonly address: string, private readonly sink: MessageSink, private readonly onError: (e: string) => void = () => {}) {}

  open(port: number): void {
    // reusePort: every connection control section listens on the shared port (Bun.listen
    // accepts the option though its types do not list it; measured across two processes).
    this.listener = Bun.listen<Conn>({
      hostname: this.address,
      port,
      reusePort: true,
      socket: {
        open: (socket) => {
          const key = `${socket.remoteAddress}:${socket.remotePort}`;
          const conn: Conn = { key, framer: new StreamFramer(), socket, pending: [], localPort: this.port };
          socket.data = conn;
          socket.timeout(IDLE_MS / 1000);
          this.conns.set(key, conn);
          this.onConnectionChange?.(key, true);
        },
        data: (socket, chunk) => this.onData(socket, chunk),
        close: (socket) => this.forget(socket.data),
        error: (socket) => this.forget(socket.data),
        timeout: (socket) => { socket.end(); },
      },
    } as Bun.TCPSocketListenOptions<Conn>);
    this.port = this.listener.port;
  }

  hasConnection(key: string): boolean {
    return this.conns.has(key);
  }

  /**
   * Sends over the connection `key` if it is open, else over one to address:port, opening it
   * when there is none (a phone's own connection may be gone; its Contact address remains).
   */
  send(address: string, port: number, data: Buffer, key = `${address}:${port}`): boolean {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    const conn = this.conns.get(key) ?? this.conns.get(`${address}:${port}`);
    if (conn) {
      if (conn.socket) conn.socket.write(data);
      else conn.pending.push(data);
      return true;
    }
    if (this.remoteWrite?.(key, address, port, data)) return true;
    const fresh: Conn = { key: `${address}:${port}`, framer: new StreamFramer(), pending: [data], localPort: this.port };
    this.conns.set(fresh.key, fresh);
    Bun.connect<Conn>({
      hostname: address,
      port,
      data: fresh,
      socket: {
        open: (socket) => {
          fresh.socket = socket;
          socket.timeout(IDLE_MS / 1000);
          for (const b of fresh.pending) socket.write(b);
          fresh.pending = [];
        },
        data: (socket, chunk) => this.onData(socket, chunk),
        close: (socket) => this.forget(socket.data),
        error: (socket) => this.forget(socket.data),
        timeout: (socket) => { socket.end(); },
        connectError: () => {
          this.forget(fresh);
          this.onError(`TCP connect to ${address}:${port} failed`);
        },
      },
    }).catch(() => this.forget(fresh));
    return true;
  }

  /** Stops accepting connections (draining); open ones keep working. */
  stopListening(): void {
    this.listener?.stop(false);
    this.listener = undefined;
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.socket?.end();
    this.conns.clear();
    this.listener?.stop(true);
  }

  private onData(socket: Socket<Conn>, chunk: Buffer): void {
    const conn = socket.data;
    const { messages, error } = conn.framer.push(Buffer.from(chunk));
    const source: Source = {
      transport: 'tcp', address: socket.remoteAddress, port: conn.key === `${socket.remoteAddress}:${socket.remotePort}` ? socket.remotePort : Number(conn.key.split(':').pop()),
      localPort: conn.localPort, connection: conn.key,
    };
    for (const m of messages) {
      try {
        this.sink(m, source);
      } catch {
        // As for UDP: a message that breaks the handler is dropped, the connection stays.
      }
    }
    // Broken framing on a stream cannot be resynchronised: close (RFC 4475 §3.1.2.3, §3.3.9).
    if (error) socket.end();
  }

  private forget(conn: Conn | undefined): void {
    if (conn && this.conns.get(conn.key) === conn) {
      this.conns.delete(conn.key);
      this.onConnectionChange?.(conn.key, false);
    }
  }
}
