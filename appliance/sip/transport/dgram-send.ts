import type dgram from 'node:dgram';

/** Sends one datagram; false when it could not be handed to the kernel. */
export type DatagramSend = (data: Buffer, port: number, address: string) => boolean;

interface BunUdpSocket {
  send(data: Buffer, port: number, address: string): boolean;
}

/**
 * The send path for a bound node:dgram socket. node:dgram (in Bun 1.4) stays the binder: it is
 * what sets SO_REUSEPORT and SO_RCVBUF, which `Bun.udpSocket` has no option for. But each
 * node:dgram `send` resolves the address through `dns.lookup` and sends on the next tick:
 * 4.4 us of CPU a datagram against 2.1 us for the Bun socket underneath (50,000 700-byte
 * datagrams on loopback, bench in docs/ARCHITECTURE.md), and a proxy sends 7 per call. So the
 * datagram goes straight to that Bun socket (node:dgram's internal state; the one place that
 * knows it). When it is not found (another Bun), or refuses the datagram (send buffer full:
 * node:dgram queues it), node:dgram's own send is used. `fastSendFound` tells the tests.
 */
export function datagramSend(sock: dgram.Socket): DatagramSend {
  const inner = bunSocketOf(sock);
  const slow: DatagramSend = (data, port, address) => {
    sock.send(data, port, address);
    return true;
  };
  if (!inner) return slow;
  return (data, port, address) => inner.send(data, port, address) || slow(data, port, address);
}

/** True when `sock`'s Bun socket was found (the fast path is in use). */
export function fastSendFound(sock: dgram.Socket): boolean {
  return bunSocketOf(sock) !== undefined;
}

function bunSocketOf(sock: dgram.Socket): BunUdpSocket | undefined {
  for (const key of Object.getOwnPropertySymbols(sock)) {
    const state = (sock as unknown as Record<symbol, { handle?: { socket?: unknown } } | undefined>)[key];
    const inner = state?.handle?.socket as BunUdpSocket | undefined;
    if (inner && typeof inner.send === 'function') return inner;
  }
  return undefined;
}
