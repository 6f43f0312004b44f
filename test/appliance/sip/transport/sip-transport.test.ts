import { afterEach, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { createConnection } from 'node:net';
import { SipTransports, type TransportOptions } from '../../../../appliance/sip/transport/sip-transport.ts';
import type { Source } from '../../../../appliance/sip/message/types.ts';
import type { SipTcpLimits } from '../../../../system/config/index.ts';

/**
 * SipTransports on two families (docs/SIP.md "IPv6"): 127.0.160.9 and [::1], real sockets. The
 * same port numbers in both families, sends from the destination's family, and what happens
 * when a port is free in one family only.
 */
const HOST = '127.0.160.9';
const V6 = '::1';
const PEER4 = '127.0.160.19';
const limits: SipTcpLimits = { maxConnections: 50, maxPerSource: 50, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10 };
const open: (SipTransports | dgram.Socket)[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    if (o instanceof SipTransports) await o.close();
    else await new Promise<void>((r) => o.close(() => r()));
  }
});

async function transports(opts: Partial<TransportOptions> = {}): Promise<{ t: SipTransports; got: [string, Source][] }> {
  const got: [string, Source][] = [];
  const t = new SipTransports({ addresses: [HOST, V6], port: 0, ownPort: 0, transports: ['udp', 'tcp'], tcp: limits, ...opts }, (data, source) => got.push([data.toString(), source]));
  open.push(t);
  await t.open();
  return { t, got };
}

async function socket(address: string, port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  open.push(s);
  return s;
}

const until = async (ok: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await Bun.sleep(5);
};

describe('SipTransports: dual stack', () => {
  test('both families on the same shared and Via ports; each receives; a send leaves from its destination\'s family', async () => {
    const { t, got } = await transports();
    expect(t.udpFamilies.map((u) => [u.sharedPort, u.ownPort])).toEqual([[t.port, t.viaPort], [t.port, t.viaPort]]);
    expect(t.viaPort).not.toBe(t.port);
    const p4 = await socket(PEER4);
    const p6 = await socket(V6);
    p4.send('to-v4', t.port, HOST);
    p6.send('to-v6', t.port, V6);
    await until(() => got.length >= 2);
    expect(got.map(([d, s]) => [d, s.address, s.localPort]).sort()).toEqual([['to-v4', PEER4, t.port], ['to-v6', V6, t.port]]);
    // Requests go from the own (Via) port, responses from the shared one, in the destination's family.
    const seen: [string, string, number][] = [];
    for (const p of [p4, p6]) p.on('message', (m, r) => seen.push([m.toString(), r.address, r.port]));
    expect(t.send({ transport: 'udp', address: V6, port: p6.address().port }, Buffer.from('req6'))).toBe(true);
    expect(t.send({ transport: 'udp', address: PEER4, port: p4.address().port }, Buffer.from('req4'))).toBe(true);
    expect(t.send({ transport: 'udp', address: V6, port: p6.address().port }, Buffer.from('res6'), true)).toBe(true);
    await until(() => seen.length >= 3);
    expect(seen.sort()).toEqual([['req4', HOST, t.viaPort], ['req6', V6, t.viaPort], ['res6', V6, t.port]]);
  });

  test('TCP listens on both addresses of the shared port', async () => {
    const { t, got } = await transports();
    for (const [from, to] of [[PEER4, HOST], [V6, V6]]) {
      const c = createConnection({ host: to, port: t.port, localAddress: from });
      await new Promise<void>((r) => c.once('connect', () => r()));
      c.write(`OPTIONS sip:x@${to.includes(':') ? `[${to}]` : to} SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
      await until(() => got.some(([, s]) => s.transport === 'tcp' && s.address === from));
      c.destroy();
    }
    expect(got.filter(([, s]) => s.transport === 'tcp').map(([, s]) => s.address).sort()).toEqual([V6, PEER4].sort());
  });

  test('a slot Via port taken on IPv6 only: both families take one port of the OS\'s choosing, noted for the log', async () => {
    const taken = await socket(V6);
    const slot = taken.address().port;
    const { t } = await transports({ ownPort: slot });
    expect(t.viaPort).not.toBe(slot);
    expect(t.udpFamilies.map((u) => u.ownPort)).toEqual([t.viaPort, t.viaPort]);
    expect(t.udp.ownPortFallback).toContain(`Via port ${slot} is in use in one family`);
  });

  test('a configured shared port taken on IPv6 only: open fails, and the IPv4 socket is released', async () => {
    const taken = await socket(V6);
    const port = taken.address().port;
    const t = new SipTransports({ addresses: [HOST, V6], port, transports: ['udp'], tcp: limits }, () => {});
    await expect(t.open()).rejects.toThrow();
    // Nothing left bound on the IPv4 address: the port can be taken there.
    const again = await socket(HOST, port);
    expect(again.address().port).toBe(port);
  });
});
