import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import net from 'node:net';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { sipMessage } from '../../support/sip-udp-peer.ts';

/**
 * Our Via over TCP/TLS names the forwarding worker in `;wport=` (proxy/forwarding.ts), and the
 * worker holding the connection hands a response for a sibling's transaction to that port.
 * A phone can write any `wport` into a response: one naming a port that is no worker slot is
 * dropped, so the parameter cannot aim our datagrams at another local service (DNS, web, a
 * stranger's socket on our address). Appliance on 127.0.150.79 (the victim socket too).
 */
const HOST = '127.0.150.79';
let ap: TestAppliance;
let victim: dgram.Socket;
const hit: Buffer[] = [];

describe('attack: a forged wport in a response', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST);
    victim = dgram.createSocket('udp4');
    victim.on('message', (m) => hit.push(m));
    await new Promise<void>((r) => victim.bind(0, HOST, () => r()));
  });
  afterAll(async () => {
    victim?.close();
    await ap?.stop();
  });

  test('over TCP, a 200 OK whose Via names our TCP port and wport=<some local port> is dropped, nothing is sent there', async () => {
    const sock = net.connect({ host: HOST, port: ap.port, localAddress: HOST });
    await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
    const before = ap.app.sip.service.counters.dropped;
    for (const port of [victim.address().port, 53, 8080]) {
      sock.write(sipMessage('SIP/2.0 200 OK', [
        `Via: SIP/2.0/TCP ${HOST}:${ap.port};branch=z9hG4bK-forged-${port};wport=${port}`,
        `Via: SIP/2.0/UDP ${HOST}:${victim.address().port};branch=z9hG4bK-victim`,
        'From: <sip:201@office.lan>;tag=a', 'To: <sip:202@office.lan>;tag=b', `Call-ID: forged-wport-${port}`, 'CSeq: 1 INVITE',
      ]));
    }
    const end = Date.now() + 2000;
    while (ap.app.sip.service.counters.dropped < before + 3 && Date.now() < end) await Bun.sleep(20);
    await Bun.sleep(100);
    expect(ap.app.sip.service.counters.dropped).toBe(before + 3);
    expect(hit).toEqual([]);
    sock.destroy();
  });
});
