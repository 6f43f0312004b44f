import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { WireHandler } from '../wire-handler.ts';

/** A bound UDP listener. */
export interface UdpListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The UDP edge. dns2's UDP server extends dgram.Socket with a fixed constructor, so it cannot
 * set `reusePort`; this thin edge can, so several connection control sections share the DNS
 * port (DESIGN.md: node:dgram reusePort spreads datagrams over processes).
 */
export function listenUdp(address: string, port: number, handler: WireHandler, log?: (line: string) => void): Promise<UdpListener> {
  const socket: Socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: true, reusePort: true });
  const reply = (out: Uint8Array | undefined, rport: number, raddr: string) => {
    if (out) socket.send(out, rport, raddr);
  };
  socket.on('message', (msg, rinfo) => {
    try {
      const out = handler.handle(msg, rinfo.address, 'udp');
      if (out instanceof Promise) out.then((o) => reply(o, rinfo.port, rinfo.address), (err) => log?.(`dns: udp: ${err}`));
      else reply(out, rinfo.port, rinfo.address);
    } catch (err) {
      log?.(`dns: udp: ${(err as Error).message}`);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      socket.on('error', (err) => log?.(`dns: udp socket: ${err.message}`));
      resolve({
        port: socket.address().port,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
