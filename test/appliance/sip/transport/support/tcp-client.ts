import net from 'node:net';

/** A raw TCP client for the SIP attack tests: what it received, and whether the far end closed. */
export interface RawClient {
  readonly socket: net.Socket;
  readonly received: () => string;
  readonly closed: () => boolean;
  /** When the far end closed, performance.now(); undefined while open. */
  readonly closedAt: () => number | undefined;
  /** Resolves when `predicate` holds for what was received, or rejects after `ms`. */
  waitFor(predicate: (text: string) => boolean, ms: number): Promise<string>;
  /** Resolves when the connection is closed, or rejects after `ms`. */
  waitClosed(ms: number): Promise<void>;
}

/**
 * Connects from the loopback address `from` (node:net: Bun.connect cannot bind a local address).
 * `refusedOk`: a connection reset before it was reported open resolves as a closed client
 * (a server refusing at accept can be that fast) instead of rejecting.
 */
export function connectFrom(from: string, host: string, port: number, refusedOk = false): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    let text = '';
    let closedAt: number | undefined;
    const socket = net.connect({ host, port, localAddress: from });
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('close', () => { closedAt ??= performance.now(); });
    socket.on('error', () => { closedAt ??= performance.now(); });
    socket.once('connect', () => resolve(client));
    socket.once('error', (err) => (refusedOk ? resolve(client) : reject(err)));
    const until = (ok: () => boolean, ms: number, what: string) => new Promise<void>((res, rej) => {
      const deadline = performance.now() + ms;
      const tick = () => {
        if (ok()) return res();
        if (performance.now() > deadline) return rej(new Error(`timed out waiting for ${what}; received ${JSON.stringify(text.slice(0, 200))}`));
        setTimeout(tick, 10);
      };
      tick();
    });
    const client: RawClient = {
      socket,
      received: () => text,
      closed: () => closedAt !== undefined,
      closedAt: () => closedAt,
      waitFor: async (predicate, ms) => {
        await until(() => predicate(text), ms, 'data');
        return text;
      },
      waitClosed: (ms) => until(() => closedAt !== undefined, ms, 'close'),
    };
  });
}

/** Opens `count` connections from `from`, `batch` at a time; connections the far end refused still count. */
export async function openMany(from: string, host: string, port: number, count: number, batch = 200): Promise<RawClient[]> {
  const all: RawClient[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    all.push(...await Promise.all(Array.from({ length: n }, () => connectFrom(from, host, port, true))));
  }
  return all;
}

/** An OPTIONS to the appliance itself over TCP or UDP (RFC 3261 §11). */
export function options(host: string, via: string, transport: 'TCP' | 'UDP', callId: string): string {
  return `OPTIONS sip:${host} SIP/2.0\r\nVia: SIP/2.0/${transport} ${via};rport;branch=z9hG4bK-${callId}\r\n` +
    `From: <sip:probe@office.lan>;tag=p-${callId}\r\nTo: <sip:${host}>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\n` +
    'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
}
