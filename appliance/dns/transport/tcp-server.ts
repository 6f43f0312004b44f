import { createServer, type Socket } from 'node:net';
import type { WireHandler } from '../wire-handler.ts';

/** A bound TCP listener. */
export interface TcpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** RFC 7766 §6.2.3: idle connections are closed after some seconds. */
const IDLE_MS = 10_000;
const MAX_CONNECTIONS = 256;
/** Pipelined queries waiting for an answer on one connection (RFC 7766 §6.2.1.1). */
const MAX_IN_FLIGHT = 64;

/**
 * The TCP edge (RFC 1035 §4.2.2, RFC 7766): two-byte length-prefixed messages, pipelining,
 * answers in any order, idle timeout, bounded buffering per connection.
 */
export function listenTcp(address: string, port: number, handler: WireHandler, log?: (line: string) => void): Promise<TcpListener> {
  const open = new Set<Socket>();
  const server = createServer({ allowHalfOpen: false }, (sock) => {
    if (open.size >= MAX_CONNECTIONS) return void sock.destroy();
    open.add(sock);
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    const send = (out: Uint8Array | undefined) => {
      inFlight--;
      if (!out || sock.destroyed) return;
      const frame = Buffer.allocUnsafe(out.length + 2);
      frame.writeUInt16BE(out.length, 0);
      frame.set(out, 2);
      sock.write(frame);
    };
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // Every loop consumes one whole message; a partial one waits for more data.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (++inFlight > MAX_IN_FLIGHT) return void sock.destroy();
        try {
          const out = handler.handle(msg, sock.remoteAddress ?? '', 'tcp');
          if (out instanceof Promise) out.then(send, (err) => { inFlight--; log?.(`dns: tcp: ${err}`); });
          else send(out);
        } catch (err) {
          inFlight--;
          log?.(`dns: tcp: ${(err as Error).message}`);
        }
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: address, reusePort: true } as Parameters<typeof server.listen>[0], () => {
      server.off('error', reject);
      server.on('error', (err) => log?.(`dns: tcp server: ${err.message}`));
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise<void>((r) => {
          for (const s of open) s.destroy();
          server.close(() => r());
        }),
      });
    });
  });
}
