import type { Socket, TCPSocketListener } from 'bun';
import { isIP } from 'node:net';
import type { SipTcpLimits } from '../../../system/config/index.ts';
import type { Source } from '../message/types.ts';
import { connectionKey, describeConnection, parseConnectionKey } from './connection-key.ts';
import { StreamFramer } from './stream-framer.ts';
import { admit, expiry, sweepInterval, type Expiry, type Refusal } from './tcp-policy.ts';
import { TcpStats } from './tcp-stats.ts';
import { tooLargeReply } from './too-large-reply.ts';
import type { Destination, MessageSink, SendFailed } from './transport.ts';

/**
 * SIP over TLS on this stream edge (RFC 3261 §26.2.1, RFC 5630): the listener's certificate,
 * and how the certificates of servers we connect to are checked.
 */
export interface StreamTls {
  readonly cert: string;
  readonly key: string;
  /** Verify servers we connect to (against `ca`, else the system CAs); false: accept any. */
  readonly verify: boolean;
  readonly ca?: string;
}

interface Conn {
  key: string;
  /** Remote address of an accepted connection (counted per source); undefined: opened by us. */
  source?: string;
  framer: StreamFramer;
  socket?: Socket<Conn | undefined>;
  /** Bytes queued while an outgoing connection is being opened, or that the socket could not take yet. */
  pending: Buffer[];
  pendingBytes: number;
  localPort: number;
  openedAt: number;
  activeAt: number;
  messageStartedAt?: number;
  established: boolean;
  /** Told to the siblings (onConnectionChange) once it carried a message. */
  announced: boolean;
  /** When a graceful close was asked; a peer that does not finish it is cut. */
  closingAt?: number;
  /** TLS, opened by us: bytes wait until the handshake is done (Bun drops earlier writes: measured). */
  handshaking?: boolean;
  /** TLS, opened by us: the server's certificate must be valid (the edge's `verify`, or a trunk's `trust`). */
  verify?: boolean;
  /** Opened by us for a trunk's trust: the tag of the CAs it was verified against (`trustTag`). */
  trustTag?: string;
  /** Opened by us, not yet established: told if it never is (connect error, certificate refused). */
  failures?: SendFailed[];
  /** Flow-only sends of the last FLOW_CLOSE_WATCH_MS (oldest first): told if the connection closes now. */
  flowSends?: { readonly at: number; readonly failed: SendFailed }[];
}

/** Unsent bytes one connection may hold (a peer that stops reading); beyond: closed. */
export const MAX_QUEUED_BYTES = 256 * 1024;
/** A graceful close (after a 513) the peer does not complete is cut after this long. */
const LINGER_MS = 2000;
/**
 * A flow-only send (a phone's own connection, RFC 5626 §5.3) written this shortly before the
 * connection closes may have met the phone's close on the way (its FIN in flight when we
 * wrote): its sender is told the flow failed rather than waiting for Timer B. Later closes are
 * the phone's business (it answers, or not, as for any request it got).
 */
export const FLOW_CLOSE_WATCH_MS = 1000;
/** TCP keep-alive after this much idle time, so a phone that vanished is noticed (seconds). */
const KEEPALIVE_S = 60;

/**
 * TCP edge (RFC 3261 §18): accepts connections on the SIP port, frames messages, and sends
 * over an existing connection to the peer (the one a phone registered over) or opens one.
 * Bounded (docs/SECURITY.md): connections per source and in total, a deadline for every message
 * and for a connection's first message, an idle timeout, and per-connection buffers.
 * With `tls` the same edge is SIP over TLS (RFC 3261 §26): same framing and bounds (a handshake
 * that never finishes is a connection without a first message), connection keys `tls:addr:port`.
 */
export class TcpEndpoints {
  /** One listener per address (dual stack: IPv4 and IPv6), all on the same port. */
  private listeners: TCPSocketListener<Conn | undefined>[] = [];
  private readonly addresses: readonly string[];
  private readonly conns = new Map<string, Conn>();
  /**
   * Our connections verified for a trunk's trust, by `<key>#<trust tag>`: a send that names a
   * trust goes only over one verified for that same trust (never one verified otherwise, or not
   * at all, and never a sibling's). Their key stays the far end's (connection-key.ts).
   */
  private readonly trusted = new Map<string, Conn>();
  /** Every open connection (the map can be keyed over by a later one with the same key). */
  private readonly live = new Set<Conn>();
  private readonly perSource = new Map<string, number>();
  private sweeper?: ReturnType<typeof setInterval>;
  port = 0;
  readonly stats: TcpStats;
  /** What Source.transport says for messages received here. */
  readonly protocol: 'tcp' | 'tls';
  /** Told when a connection opens or closes, so sibling workers know who holds which phone. */
  onConnectionChange?: (key: string, open: boolean) => void;
  /**
   * Hands bytes for a connection held by another worker to it; returns false when no sibling
   * holds `key` (then this worker connects itself). `connect`: whether the holder may open a
   * new connection when it has none any more; `onFailed`: told when the holder (or the control
   * section) says the bytes did not leave (connection/remote-writes.ts).
   */
  remoteWrite?: (key: string, address: string, port: number, data: Buffer, connect: boolean, onFailed?: SendFailed) => boolean;
  /** True when another worker holds the connection `key` (control/tcp-owners.ts, as the control section last said). */
  siblingHolds?: (key: string) => boolean;

  constructor(
    address: string | readonly string[], private readonly sink: MessageSink, private readonly limits: SipTcpLimits,
    private readonly onError: (e: string) => void = () => {},
    private readonly tls?: StreamTls,
  ) {
    this.addresses = typeof address === 'string' ? [address] : address;
    this.protocol = tls ? 'tls' : 'tcp';
    this.stats = new TcpStats(tls ? 'TLS' : 'TCP');
  }

  /** Open connections (accepted and our own). */
  get openConnections(): number {
    return this.live.size;
  }

  /** Bytes waiting in send queues (what sockets could not take yet). */
  get queuedBytes(): number {
    let n = 0;
    for (const c of this.live) n += c.pendingBytes;
    return n;
  }

  /** Listens on every address; with port 0 the first one's port is taken by the others. */
  open(port: number): void {
    const dual = this.addresses.length > 1;
    try {
      for (const address of this.addresses) {
        // reusePort: every connection control section listens on the shared port (Bun.listen
        // accepts the option though its types do not list it; measured across two processes).
        // An IPv6 wildcard next to an IPv4 address takes IPv6 only (the IPv4 one has its listener).
        const listener = Bun.listen<Conn | undefined>({
          hostname: address,
          port: this.listeners.length === 0 ? port : this.port,
          reusePort: true,
          ...(dual && address === '::' ? { ipv6Only: true } : {}),
          ...(this.tls ? { tls: { cert: this.tls.cert, key: this.tls.key } } : {}),
          socket: this.handlers((socket) => this.accept(socket)),
        } as Bun.TCPSocketListenOptions<Conn | undefined>);
        this.listeners.push(listener);
        this.port = listener.port;
      }
    } catch (err) {
      this.stopListening();
      throw err;
    }
    this.startSweeping();
  }

  /** True when this worker holds the connection `key`, or a sibling does (`siblingHolds`). */
  hasConnection(key: string): boolean {
    return this.conns.has(key) || this.siblingHolds?.(key) === true;
  }

  /**
   * Sends over the connection `key` if it is open, else over one to address:port, opening it
   * when there is none (a phone's own connection may be gone; its Contact address remains)
   * and `connect` allows it. TLS: `serverName` is the name the server's certificate must carry
   * (RFC 5922 §7.2: the domain looked up); without it, its address. `local`: not handed to a
   * sibling (bytes a sibling handed us: our connection or nothing).
   */
  send(
    address: string, port: number, data: Buffer, key: string = connectionKey(this.protocol, address, port), connect = true, serverName?: string,
    opts: { readonly trust?: Destination['trust']; readonly onFailed?: SendFailed; readonly local?: boolean } = {},
  ): boolean {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
    const plain = connectionKey(this.protocol, address, port);
    const tag = this.tls && opts.trust ? trustTag(opts.trust) : undefined;
    const conn = tag !== undefined ? this.trusted.get(`${plain}#${tag}`) : this.conns.get(key) ?? this.conns.get(plain);
    if (conn) {
      // Still being opened (TLS handshake): told too should it never be established.
      if (opts.onFailed && conn.failures) conn.failures.push(opts.onFailed);
      // A SIP message going out over it: the connection carries SIP (pongs do not count).
      if (!conn.handshaking) conn.established = true;
      if (!this.write(conn, data)) return false;
      if (!connect && opts.onFailed) this.watchFlowSend(conn, opts.onFailed);
      return true;
    }
    if (tag === undefined && opts.local !== true && this.remoteWrite?.(key, address, port, data, connect, opts.onFailed)) return true;
    if (!connect) return false;
    // Our own connections count against the per-worker cap too: they hold descriptors.
    if (this.live.size >= this.limits.maxConnections) {
      this.stats.refusedOutgoing++;
      return false;
    }
    const now = performance.now();
    // TLS: not established until the handshake is done, so the first-message deadline cuts a
    // server that never finishes it. A trunk's provider is always verified (`trust`), against its own CAs when given.
    const verify = !!this.tls && (this.tls.verify || tag !== undefined);
    const ca = opts.trust?.ca ?? this.tls?.ca;
    const fresh: Conn = {
      key: plain, framer: new StreamFramer(), pending: [data], pendingBytes: data.length, localPort: this.port,
      openedAt: now, activeAt: now, established: !this.tls, announced: false, handshaking: !!this.tls, verify, failures: opts.onFailed ? [opts.onFailed] : [],
      ...(tag !== undefined ? { trustTag: tag } : {}),
    };
    this.track(fresh);
    if (tag !== undefined) this.trusted.set(`${plain}#${tag}`, fresh);
    this.startSweeping();
    const fail = () => {
      this.onError(`${this.tls ? 'TLS' : 'TCP'} connect to ${address}:${port} failed`);
      this.giveUp(fresh, 'the connection could not be opened');
    };
    try {
      const local = this.localAddressFor(address);
      Bun.connect<Conn | undefined>({
        hostname: address,
        port,
        // From our listen address, as UDP sends are: a peer knows us by it (flow tokens are
        // honoured only from a peer's address, docs/PEERS.md). Bun.connect takes the option
        // though its types do not list it (measured: the far end sees that address).
        ...(local ? { localAddress: local } : {}),
        data: fresh,
        // rejectUnauthorized is always given: Bun with `tls: {}` never finishes the handshake (measured).
        ...(this.tls ? { tls: { rejectUnauthorized: verify, ...(ca ? { ca } : {}), ...(serverName ? { serverName } : {}) } } : {}),
        socket: { ...this.handlers((socket) => this.connected(socket, fresh)), connectError: this.guard(fail) },
      }).catch(() => this.giveUp(fresh, 'the connection could not be opened'));
    } catch {
      fail();
      return false;
    }
    return true;
  }

  /** The listen address of the destination's family when it is a specific one (not a wildcard, not a name). */
  private localAddressFor(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return undefined;
    return this.addresses.find((a) => isIP(a) === family && a !== '0.0.0.0' && a !== '::');
  }

  /** Stops accepting connections (draining); open ones keep working. */
  stopListening(): void {
    for (const l of this.listeners) l.stop(false);
    this.listeners = [];
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const c of this.live) c.socket?.terminate();
    this.live.clear();
    this.conns.clear();
    this.trusted.clear();
    this.perSource.clear();
    for (const l of this.listeners) l.stop(true);
    this.listeners = [];
  }

  /** Socket callbacks, each guarded: nothing a remote host sends may throw out of them. */
  private handlers(open: (socket: Socket<Conn | undefined>) => void) {
    return {
      open: this.guard(open),
      data: this.guard((socket: Socket<Conn | undefined>, chunk: Buffer) => this.onData(socket, chunk)),
      drain: this.guard((socket: Socket<Conn | undefined>) => socket.data && this.flush(socket.data)),
      close: this.guard((socket: Socket<Conn | undefined>) => this.giveUp(socket.data, 'the connection closed before it was established')),
      error: this.guard((socket: Socket<Conn | undefined>) => this.giveUp(socket.data, 'the connection failed before it was established')),
      handshake: this.guard((socket: Socket<Conn | undefined>, ok: boolean, err: Error | null) => this.handshaken(socket, ok, err)),
    };
  }

  /**
   * TLS handshake done (RFC 3261 §26.2.1). A failed one on an accepted connection (plaintext,
   * junk, an old protocol) is counted and cut; on ours Bun has refused the server's certificate
   * (verify on) and closes it. Ours sends what waited for it.
   */
  private handshaken(socket: Socket<Conn | undefined>, ok: boolean, err: Error | null): void {
    const conn = socket.data;
    if (!ok && (conn?.source !== undefined || conn?.verify)) {
      this.stats.handshakeFailures++;
      // Bun gives the OpenSSL code (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID) and its text.
      const why = `the server's certificate was refused${certificateError(err)}`;
      if (conn?.source === undefined) this.onError(`TLS to ${conn && describeConnection(conn.key)}: ${why}`);
      // Before terminate(): it runs the close handler at once, which would tell a vaguer reason.
      this.giveUp(conn, why);
      socket.terminate();
      return;
    }
    if (!conn?.handshaking) return;
    conn.handshaking = false;
    conn.failures = undefined;
    conn.established = true;
    this.announce(conn);
    this.flush(conn);
  }

  private guard<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.stats.handlerErrors++;
        this.onError(`TCP handler failed: ${(err as Error)?.message ?? err}`);
      }
    };
  }

  /** A connection accepted on the listener: admitted under the caps, or closed at once. */
  private accept(socket: Socket<Conn | undefined>): void {
    const source = socket.remoteAddress;
    const refusal: Refusal | undefined = admit(this.live.size, this.perSource.get(source) ?? 0, this.limits);
    if (refusal) {
      this.stats.refuse(refusal);
      socket.data = undefined;
      socket.terminate();
      return;
    }
    const now = performance.now();
    const conn: Conn = {
      key: connectionKey(this.protocol, source, socket.remotePort), source, framer: new StreamFramer(), socket, pending: [], pendingBytes: 0,
      localPort: this.port, openedAt: now, activeAt: now, established: false, announced: false,
    };
    socket.data = conn;
    socket.setKeepAlive(true, KEEPALIVE_S);
    this.stats.accepted++;
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    this.track(conn);
  }

  private connected(socket: Socket<Conn | undefined>, conn: Conn): void {
    conn.socket = socket;
    socket.setKeepAlive(true, KEEPALIVE_S);
    if (conn.handshaking) return; // TLS: handshaken() announces and flushes
    conn.failures = undefined;
    this.announce(conn);
    this.flush(conn);
  }

  private onData(socket: Socket<Conn | undefined>, chunk: Buffer): void {
    const conn = socket.data;
    if (!conn || !this.live.has(conn) || conn.closingAt !== undefined) return;
    const now = performance.now();
    conn.activeAt = now;
    const { messages, pings, error, tooLarge } = conn.framer.push(Buffer.from(chunk));
    // The message deadline runs from the first byte of each message (slowloris).
    if (messages.length > 0) conn.messageStartedAt = undefined;
    conn.messageStartedAt = conn.framer.inProgress ? conn.messageStartedAt ?? now : undefined;
    // RFC 5626 §4.4.1: a CRLFCRLF ping is answered with a CRLF pong.
    if (pings > 0) this.write(conn, Buffer.from('\r\n'.repeat(Math.min(pings, 16))));
    if (messages.length > 0) {
      conn.established = true;
      this.announce(conn);
    }
    const source: Source = {
      transport: this.protocol, address: socket.remoteAddress, port: parseConnectionKey(conn.key)?.port ?? socket.remotePort,
      localPort: conn.localPort, connection: conn.key,
    };
    for (const m of messages) {
      // The sink may have closed the connection (its send queue overflowed): the rest is dropped.
      if (!this.live.has(conn) || conn.closingAt !== undefined) return;
      try {
        this.sink(m, source);
      } catch {
        // As for UDP: a message that breaks the handler is dropped, the connection stays.
      }
    }
    if (!error) return;
    // Broken framing on a stream cannot be resynchronised: close (RFC 4475 §3.1.2.3, §3.3.9);
    // a message too large is answered first when its headers could be read (RFC 3261 §21.5.11).
    const reply = tooLarge && tooLargeReply(tooLarge);
    this.stats.framing(error, !!reply);
    if (reply) this.write(conn, reply);
    this.closeConn(conn, true);
  }

  /** Writes to a connection, queueing what the socket cannot take now (Bun does not buffer). */
  private write(conn: Conn, data: Buffer): boolean {
    if (!this.live.has(conn) || conn.closingAt !== undefined) return false;
    conn.activeAt = performance.now();
    if (conn.pendingBytes + data.length > MAX_QUEUED_BYTES) {
      // The peer stopped reading: holding more would let it grow our memory.
      this.stats.overflows++;
      this.closeConn(conn, false);
      return false;
    }
    conn.pending.push(data);
    conn.pendingBytes += data.length;
    if (conn.socket) this.flush(conn);
    return true;
  }

  private flush(conn: Conn): void {
    if (conn.handshaking) return;
    const socket = conn.socket;
    while (socket && conn.pending.length > 0) {
      const head = conn.pending[0];
      const n = socket.write(head);
      if (n <= 0) return;
      conn.pendingBytes -= n;
      if (n < head.length) {
        conn.pending[0] = head.subarray(n);
        return;
      }
      conn.pending.shift();
    }
  }

  /** Graceful: FIN after what is queued (cut after LINGER_MS if the peer does not finish). */
  private closeConn(conn: Conn, graceful: boolean): void {
    if (graceful && conn.socket) {
      conn.closingAt = performance.now();
      conn.socket.end();
    } else {
      conn.socket?.terminate();
      this.forget(conn);
    }
  }

  private track(conn: Conn): void {
    this.live.add(conn);
    this.conns.set(conn.key, conn);
  }

  private announce(conn: Conn): void {
    if (conn.announced) return;
    conn.announced = true;
    this.onConnectionChange?.(conn.key, true);
  }

  /** A connection of ours that never got established: whoever sent over it hears why, then it is forgotten. */
  private giveUp(conn: Conn | undefined, reason: string): void {
    const told = conn?.failures;
    if (conn) conn.failures = undefined;
    this.forget(conn);
    for (const f of told ?? []) f(reason);
  }

  /** Remembers a flow-only send for FLOW_CLOSE_WATCH_MS (the ones older than that are let go). */
  private watchFlowSend(conn: Conn, failed: SendFailed): void {
    const now = performance.now();
    const list = (conn.flowSends ??= []);
    while (list.length > 0 && now - list[0].at > FLOW_CLOSE_WATCH_MS) list.shift();
    list.push({ at: now, failed });
  }

  private forget(conn: Conn | undefined): void {
    if (!conn || !this.live.delete(conn)) return;
    const now = performance.now();
    const recent = (conn.flowSends ?? []).filter((w) => now - w.at <= FLOW_CLOSE_WATCH_MS);
    conn.flowSends = undefined;
    // After this close is done (forget runs inside socket callbacks): the senders' transactions answer upstream.
    if (recent.length > 0) queueMicrotask(() => {
      for (const w of recent) w.failed('the connection closed just after the message was written');
    });
    if (conn.trustTag !== undefined && this.trusted.get(`${conn.key}#${conn.trustTag}`) === conn) this.trusted.delete(`${conn.key}#${conn.trustTag}`);
    if (conn.source !== undefined) {
      const n = (this.perSource.get(conn.source) ?? 1) - 1;
      if (n > 0) this.perSource.set(conn.source, n);
      else this.perSource.delete(conn.source);
    }
    if (this.conns.get(conn.key) === conn) this.conns.delete(conn.key);
    if (conn.announced) this.onConnectionChange?.(conn.key, false);
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(this.guard(() => this.sweep()), sweepInterval(this.limits));
    this.sweeper.unref?.();
  }

  /** Applies the timeouts (tcp-policy.ts) and writes the counters to the log at most once a minute. */
  private sweep(): void {
    const now = performance.now();
    for (const conn of this.live) {
      if (conn.closingAt !== undefined) {
        if (now - conn.closingAt >= LINGER_MS) this.closeConn(conn, false);
        continue;
      }
      const why: Expiry | undefined = expiry(conn, now, this.limits);
      if (!why) continue;
      this.stats.expired(why);
      this.closeConn(conn, false);
    }
    const summary = this.stats.summary(now);
    if (summary) this.onError(summary);
  }
}

/** ": CODE (text)" from Bun's handshake error, or "" without one. */
function certificateError(err: Error | null | undefined): string {
  if (!err) return '';
  const code = (err as Error & { code?: unknown }).code;
  const text = err.message && err.message !== code ? err.message : '';
  return `: ${[typeof code === 'string' ? code : '', text ? `(${text})` : ''].filter(Boolean).join(' ')}`;
}

/** A short tag of a trust setting (the CAs' PEM text, or the edge's own CAs). */
function trustTag(trust: NonNullable<Destination['trust']>): string {
  return trust.ca === undefined ? 'ca' : Bun.hash(trust.ca).toString(36);
}
