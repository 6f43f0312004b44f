import { afterEach, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { datagramSend, fastSendFound } from '../../../../appliance/sip/transport/dgram-send.ts';

/** The UDP send path under node:dgram (transport/dgram-send.ts), on loopback, port 0. */
const open: dgram.Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function bound(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type, reusePort: true, reuseAddr: true } as dgram.SocketOptions);
  open.push(s);
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

describe('datagramSend', () => {
  for (const [type, address] of [['udp4', '127.0.207.1'], ['udp6', '::1']] as const) {
    test(`${type}: finds the Bun socket under node:dgram (a Bun upgrade that hides it fails here) and delivers`, async () => {
      const rx = await bound(type, address);
      const tx = await bound(type, address);
      expect(fastSendFound(tx)).toBe(true);
      const got: string[] = [];
      rx.on('message', (m, rinfo) => got.push(`${m.toString()}@${rinfo.port}`));
      const send = datagramSend(tx);
      for (let i = 0; i < 50; i++) expect(send(Buffer.from(`d${i}`), rx.address().port, address)).toBe(true);
      const until = Date.now() + 3000;
      while (got.length < 50 && Date.now() < until) await Bun.sleep(10);
      // sent from the bound socket itself: the source port a Via names
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `d${i}@${tx.address().port}`));
    });
  }

  test('a socket without the Bun internals falls back to its own send', () => {
    const sent: unknown[][] = [];
    const fake = { send: (...a: unknown[]) => sent.push(a) } as unknown as dgram.Socket;
    expect(fastSendFound(fake)).toBe(false);
    expect(datagramSend(fake)(Buffer.from('x'), 5060, '127.0.207.2')).toBe(true);
    expect(sent).toHaveLength(1);
  });
});
