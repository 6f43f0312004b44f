import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { MAX_HEADER_BYTES } from '../../../../appliance/sip/transport/stream-framer.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { connectFrom, openMany, options, type RawClient } from './support/tcp-client.ts';

/**
 * Attacks on SIP over TCP against a real connection control section on 127.0.40.1
 * (issue 10 finding 7): a connection flood from one address and from many, slowloris, a
 * connection that never sends a message, oversized messages; the bounds hold and the worker
 * keeps answering over UDP and TCP.
 */
const HOST = '127.0.40.1';
const FLOOD = '127.0.40.2';
const PROBE = '127.0.40.99';
const PER_SOURCE = 32;
const TOTAL = 400;
let ap: TestAppliance;
const clients: RawClient[] = [];

const tcp = () => ap.app.sip.transports.tcp;
const endAll = async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  const deadline = performance.now() + 5000;
  while (tcp().openConnections > 0 && performance.now() < deadline) await Bun.sleep(20);
};

/** OPTIONS over UDP and over a fresh TCP connection from PROBE: both answered. */
async function answersOptions(tag: string): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, PROBE, () => r()));
  const got = new Promise<string>((r, rej) => {
    sock.on('message', (m) => r(m.toString('latin1')));
    setTimeout(() => rej(new Error('no UDP answer')), 3000);
  });
  sock.send(options(HOST, `${PROBE}:${sock.address().port}`, 'UDP', `udp-${tag}`), ap.port, HOST);
  expect(await got).toMatch(new RegExp(`^SIP/2\\.0 \\d{3} [^]*Call-ID: udp-${tag}`));
  sock.close();
  const c = await connectFrom(PROBE, HOST, ap.port);
  c.socket.write(options(HOST, `${PROBE}:${c.socket.localPort}`, 'TCP', `tcp-${tag}`));
  expect(await c.waitFor((t) => t.includes(`Call-ID: tcp-${tag}`), 3000)).toMatch(/^SIP\/2\.0 \d{3} /);
  c.socket.destroy();
}

describe('SIP over TCP under attack', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, {
      sip: `tcp_max_per_source = ${PER_SOURCE}\ntcp_max_connections = ${TOTAL}\ntcp_message_timeout = 2\ntcp_first_message_timeout = 3\ntrusted = ["${PROBE}/32"]`,
    });
  });
  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await ap.stop();
  });

  test(`3,000 idle connections from one address: ${PER_SOURCE} held, every other one closed at accept, the worker answers`, async () => {
    const t0 = performance.now();
    clients.push(...await openMany(FLOOD, HOST, ap.port, 3000));
    const deadline = performance.now() + 5000;
    while (clients.filter((c) => !c.closed()).length > PER_SOURCE && performance.now() < deadline) await Bun.sleep(20);
    const held = clients.filter((c) => !c.closed()).length;
    console.log(`3000 connections from one address: ${held} held, ${tcp().stats.refusedPerSource} refused, ${Math.round(performance.now() - t0)} ms`);
    expect(held).toBe(PER_SOURCE);
    expect(tcp().openConnections).toBe(PER_SOURCE);
    expect(tcp().stats.refusedPerSource).toBe(3000 - PER_SOURCE);
    await answersOptions('one-source');
    await endAll();
  }, 20_000);

  test(`a flood from 39 addresses (127.0.40.2-.40): bounded by the total cap of ${TOTAL}`, async () => {
    const refusedBefore = tcp().stats.refusedTotal;
    for (let i = 2; i <= 40; i++) clients.push(...await openMany(`127.0.40.${i}`, HOST, ap.port, PER_SOURCE));
    const deadline = performance.now() + 5000;
    while (clients.filter((c) => !c.closed()).length > TOTAL && performance.now() < deadline) await Bun.sleep(20);
    expect(clients.filter((c) => !c.closed()).length).toBe(TOTAL);
    expect(tcp().openConnections).toBe(TOTAL);
    expect(tcp().stats.refusedTotal - refusedBefore).toBe(39 * PER_SOURCE - TOTAL);
    // At the cap, a new connection is refused too, yet UDP still answers; once the flood ends, TCP again.
    const late = await connectFrom(PROBE, HOST, ap.port);
    await late.waitClosed(2000);
    await endAll();
    await answersOptions('many-sources');
  }, 20_000);

  test('slowloris (one byte every 0.5 s): closed at the message timeout (2 s)', async () => {
    const before = tcp().stats.timedOutMessage;
    const slow = await Promise.all(Array.from({ length: 20 }, () => connectFrom('127.0.40.3', HOST, ap.port)));
    clients.push(...slow);
    const text = options(HOST, '127.0.40.3:5060', 'TCP', 'slow');
    const t0 = performance.now();
    for (let i = 0; i < 10 && slow.some((c) => !c.closed()); i++) {
      for (const c of slow) if (!c.closed()) c.socket.write(text[i]);
      await Bun.sleep(500);
    }
    await Promise.all(slow.map((c) => c.waitClosed(2000)));
    const after = slow.map((c) => c.closedAt()! - t0);
    console.log(`slowloris closed after ${Math.round(Math.min(...after))}..${Math.round(Math.max(...after))} ms`);
    for (const ms of after) {
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(3200);
    }
    expect(tcp().stats.timedOutMessage - before).toBe(20);
    await endAll();
  }, 15_000);

  test('a connection sending only CRLFCRLF pings gets pongs (RFC 5626 §4.4.1), then is closed at the first-message timeout (3 s)', async () => {
    const c = await connectFrom('127.0.40.4', HOST, ap.port);
    clients.push(c);
    const t0 = performance.now();
    c.socket.write('\r\n\r\n');
    expect(await c.waitFor((t) => t === '\r\n', 1000)).toBe('\r\n');
    const pinger = setInterval(() => { if (!c.closed()) c.socket.write('\r\n\r\n'); }, 500);
    await c.waitClosed(5000).finally(() => clearInterval(pinger));
    const ms = c.closedAt()! - t0;
    expect(ms).toBeGreaterThanOrEqual(2900);
    expect(ms).toBeLessThan(4500);
    await endAll();
  }, 10_000);

  test('an established connection outlives the first-message timeout and is pinged like a phone', async () => {
    const c = await connectFrom('127.0.40.5', HOST, ap.port);
    clients.push(c);
    c.socket.write(options(HOST, `127.0.40.5:${c.socket.localPort}`, 'TCP', 'est-1'));
    await c.waitFor((t) => t.includes('Call-ID: est-1'), 2000);
    await Bun.sleep(3800);
    expect(c.closed()).toBe(false);
    const before = c.received().length;
    c.socket.write('\r\n\r\n');
    await c.waitFor((t) => t.length === before + 2 && t.endsWith('\r\n'), 1000);
    c.socket.write(options(HOST, `127.0.40.5:${c.socket.localPort}`, 'TCP', 'est-2'));
    await c.waitFor((t) => t.includes('Call-ID: est-2'), 2000);
    await endAll();
  }, 10_000);

  test('a request announcing a 1 MB body: 513 Message Too Large from its headers (RFC 3261 §21.5.11), closed, body never read', async () => {
    const before = tcp().stats.tooLarge;
    const c = await connectFrom('127.0.40.6', HOST, ap.port);
    clients.push(c);
    const head = options(HOST, `127.0.40.6:${c.socket.localPort}`, 'TCP', 'big').replace('OPTIONS sip', 'MESSAGE sip').replace('1 OPTIONS', '1 MESSAGE')
      .replace('Content-Length: 0', 'Content-Type: text/plain\r\nContent-Length: 1048576');
    c.socket.write(head);
    const text = await c.waitFor((t) => t.includes('\r\n\r\n'), 2000);
    expect(text).toStartWith('SIP/2.0 513 Message Too Large\r\n');
    expect(text).toContain('Call-ID: big');
    await c.waitClosed(3000);
    expect(tcp().stats.tooLarge - before).toBe(1);
    await endAll();
  }, 10_000);

  test(`headers longer than ${MAX_HEADER_BYTES} bytes without an end: closed, nothing buffered beyond the cap`, async () => {
    const c = await connectFrom('127.0.40.7', HOST, ap.port);
    clients.push(c);
    c.socket.write(`INVITE sip:201@office.lan SIP/2.0\r\nX-Junk: ${'j'.repeat(MAX_HEADER_BYTES + 10)}`);
    await c.waitClosed(3000);
    expect(c.received()).toBe('');
    await endAll();
    await answersOptions('after-oversized');
  }, 10_000);
});
