import dgram from 'node:dgram';
import { connect, type Socket } from 'node:net';

/**
 * Paced senders for the fuzz tests (UDP datagrams, TCP streams) and the probes that check the
 * appliance still answers afterwards. Everything is bounded by a deadline.
 */

/** A UDP socket bound to `address` (port 0 unless given); replies are counted and given to `inspect`. */
export async function boundUdp(address: string, port = 0, inspect?: (reply: Buffer) => void): Promise<{ sock: dgram.Socket; replies: () => number }> {
  const sock = dgram.createSocket('udp4');
  let replies = 0;
  sock.on('message', (m) => { replies++; inspect?.(m); });
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => resolve());
  });
  return { sock, replies: () => replies };
}

export interface Pacing {
  /** Datagrams per burst before yielding to the event loop. */
  readonly batch: number;
  /** Bytes per burst (a burst ends at whichever limit comes first). */
  readonly burstBytes: number;
  /** Pause after each burst, ms. */
  readonly pauseMs: number;
  /** Stop sending at this time (Date.now() value). */
  readonly deadline: number;
}

/**
 * `count` source addresses `prefix.first`, `prefix.first+1`, ...: fuzz traffic is spread over
 * them, as a scan from a subnet would be, so that the per-source rate limit and ban (pike)
 * do not turn the fuzz into a test of the ban alone.
 */
export function sourceAddresses(prefix: string, first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}.${first + i}`);
}

/**
 * Sends every packet to host:port in bursts, round-robin over `socks`, pausing between bursts
 * so the receiver's socket buffer (about 200 KiB by default on Linux) is not simply overrun.
 * Returns the number sent.
 */
export async function sendUdpPaced(socks: readonly dgram.Socket[], packets: Iterable<Buffer>, port: number, host: string, pace: Pacing): Promise<number> {
  let sent = 0;
  let inBurst = 0;
  let bytes = 0;
  for (const p of packets) {
    if (Date.now() > pace.deadline) break;
    socks[sent % socks.length].send(p, port, host);
    sent++;
    inBurst++;
    bytes += p.length;
    if (inBurst >= pace.batch || bytes >= pace.burstBytes) {
      await Bun.sleep(pace.pauseMs);
      inBurst = 0;
      bytes = 0;
    }
  }
  return sent;
}

export interface TcpRun {
  /** Messages written. */
  readonly sent: number;
  /** Connections opened. */
  readonly connections: number;
  /** Connections the server closed before we were done writing (framing errors, limits). */
  readonly closedByServer: number;
  /** Bytes the server sent back. */
  readonly replyBytes: number;
}

/**
 * Writes the chunks over TCP, `perConnection` chunks per connection, `parallel` connections at
 * a time, each from the next of `localAddresses`; each connection is half-closed when done and
 * given `lingerMs` to be read and closed by the server. A connection the server closes early
 * ends its share (the rest goes on the next connection).
 */
export async function sendTcpPaced(host: string, port: number, localAddresses: readonly string[], chunks: Iterable<Buffer>,
  opts: { perConnection: number; parallel: number; lingerMs: number; deadline: number; onData?: (conn: number, data: Buffer) => void }): Promise<TcpRun> {
  let sent = 0;
  let connections = 0;
  let closedByServer = 0;
  let replyBytes = 0;
  const it = chunks[Symbol.iterator]();
  let done = false;
  const lane = async () => {
    while (!done && Date.now() < opts.deadline) {
      const conn = connections++;
      const sock = await open(host, port, localAddresses[conn % localAddresses.length]);
      if (!sock) { done = true; break; }
      let closed = false;
      const gone = new Promise<void>((resolve) => sock.once('close', () => { closed = true; resolve(); }));
      sock.on('data', (d: Buffer) => { replyBytes += d.length; opts.onData?.(conn, d); });
      sock.on('error', () => {});
      for (let n = 0; n < opts.perConnection; n++) {
        if (closed || Date.now() > opts.deadline) break;
        const next = it.next();
        if (next.done) { done = true; break; }
        sent++;
        if (!sock.write(next.value)) await Promise.race([new Promise((r) => sock.once('drain', r)), gone, Bun.sleep(200)]);
      }
      if (closed) closedByServer++;
      else sock.end();
      await Promise.race([gone, Bun.sleep(opts.lingerMs)]);
      sock.destroy();
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, lane));
  return { sent, connections, closedByServer, replyBytes };
}

async function open(host: string, port: number, localAddress: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, localAddress });
    const timer = setTimeout(() => { sock.destroy(); resolve(undefined); }, 1000);
    sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
    sock.once('error', () => { clearTimeout(timer); resolve(undefined); });
  });
}

/**
 * Sends a well-formed OPTIONS for the appliance itself from `fromAddress` over UDP and returns
 * the status line of the first final answer, or undefined after `timeoutMs`.
 */
export function sipOptionsProbe(host: string, port: number, fromAddress: string, domain: string, timeoutMs = 1000): Promise<string | undefined> {
  return sipProbe(host, port, fromAddress, { method: 'OPTIONS', ruri: `sip:${host}:${port}`, from: `sip:probe@${domain}`, to: `sip:${host}:${port}` }, timeoutMs);
}

/**
 * Sends one well-formed request (no body) from `fromAddress` over UDP; returns the status line
 * of the first final answer to it, or undefined when none came within `timeoutMs`.
 */
export async function sipProbe(host: string, port: number, fromAddress: string,
  req: { method: string; ruri: string; from: string; to: string; fromPort?: number }, timeoutMs = 1000): Promise<string | undefined> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(req.fromPort ?? 0, fromAddress, () => r()));
  const local = sock.address().port;
  const callId = `probe-${Date.now()}-${local}`;
  const msg = `${req.method} ${req.ruri} SIP/2.0\r\nVia: SIP/2.0/UDP ${fromAddress}:${local};branch=z9hG4bK-${callId};rport\r\n` +
    `From: <${req.from}>;tag=p1\r\nTo: <${req.to}>\r\nCall-ID: ${callId}\r\nCSeq: 1 ${req.method}\r\n` +
    `Contact: <sip:probe@${fromAddress}:${local}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('message', (m) => {
        const text = m.toString('latin1');
        if (text.includes(callId) && /^SIP\/2\.0 [2-6]\d\d/.test(text)) {
          clearTimeout(timer);
          resolve(text.slice(0, text.indexOf('\r\n')));
        }
      });
      sock.send(msg, port, host);
    });
  } finally {
    sock.close();
  }
}

/** Sends one DNS query over UDP from `fromAddress`; the answer with the same ID, or undefined. */
export async function dnsProbe(host: string, port: number, fromAddress: string, query: Uint8Array, timeoutMs = 1000): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, fromAddress, () => r()));
  const id = (query[0] << 8) | query[1];
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('message', (m) => {
        if (m.length >= 2 && m.readUInt16BE(0) === id) { clearTimeout(timer); resolve(m); }
      });
      sock.send(query, port, host);
    });
  } finally {
    sock.close();
  }
}

/** A DNS message framed for TCP (RFC 1035 §4.2.2): two-byte length, then the message. */
export function tcpFrame(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length & 0xffff, 0);
  out.set(msg, 2);
  return out;
}
