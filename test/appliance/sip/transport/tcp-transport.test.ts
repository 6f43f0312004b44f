import { afterEach, expect, test } from 'bun:test';
import { MAX_QUEUED_BYTES, TcpEndpoints } from '../../../../appliance/sip/transport/tcp-transport.ts';
import type { MessageSink } from '../../../../appliance/sip/transport/transport.ts';
import type { SipTcpLimits } from '../../../../system/config/index.ts';
import { connectFrom, options, type RawClient } from './support/tcp-client.ts';

/** TcpEndpoints on 127.0.40.30 with a test sink: what the SIP service never sees. */
const HOST = '127.0.40.30';
const CLIENT = '127.0.40.31';
const limits: SipTcpLimits = { maxConnections: 50, maxPerSource: 50, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10 };
let tcp: TcpEndpoints | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await tcp?.close();
});

function start(sink: MessageSink): TcpEndpoints {
  tcp = new TcpEndpoints(HOST, sink, limits);
  tcp.open(0);
  return tcp;
}
const settle = async (ok: () => boolean, ms = 3000) => {
  const deadline = performance.now() + ms;
  while (!ok() && performance.now() < deadline) await Bun.sleep(10);
};

test('a peer that stops reading: its send queue is capped, then the connection is closed', async () => {
  const reply = Buffer.alloc(60_000, 'x');
  const t = start((_, source) => { t.send(source.address, source.port, reply, source.connection); });
  const c = await connectFrom(CLIENT, HOST, t.port);
  clients.push(c);
  c.socket.pause();
  // 600 requests ask for 36 MB of answers, more than the loopback socket buffers take.
  const request = options(HOST, CLIENT, 'TCP', 'reader');
  for (let i = 0; i < 600 && t.openConnections > 0; i++) {
    c.socket.write(request);
    if (i % 50 === 49) await Bun.sleep(5);
  }
  await settle(() => t.stats.overflows > 0);
  expect(t.stats.overflows).toBe(1);
  expect(t.openConnections).toBe(0);
  expect(MAX_QUEUED_BYTES).toBeLessThan(reply.length * 600);
}, 10_000);

test('a message split by the socket comes whole to the sink; what the socket cannot take is queued and delivered, not dropped', async () => {
  const got: string[] = [];
  const reply = Buffer.alloc(60_000, 'y');
  const t = start((data, source) => { got.push(data.toString('latin1')); t.send(source.address, source.port, reply, source.connection); });
  const c = await connectFrom(CLIENT, HOST, t.port);
  clients.push(c);
  let bytes = 0;
  c.socket.on('data', (d) => { bytes += d.length; });
  const request = options(HOST, CLIENT, 'TCP', 'split');
  c.socket.write(request.slice(0, 30));
  await Bun.sleep(30);
  c.socket.write(request.slice(30));
  await settle(() => got.length === 1);
  expect(got).toEqual([request]);
  // Not reading, one request at a time, until the socket takes only part of a reply (Bun
  // writes what fits and drops the rest unless the caller queues it).
  c.socket.pause();
  let sent = 1;
  while (t.queuedBytes === 0 && sent < 2000) {
    c.socket.write(request);
    sent++;
    await settle(() => got.length === sent, 1000);
  }
  expect(t.queuedBytes).toBeGreaterThan(0);
  c.socket.resume();
  await settle(() => bytes >= sent * reply.length, 5000);
  expect(bytes).toBe(sent * reply.length);
  expect(t.queuedBytes).toBe(0);
  expect(t.stats.overflows).toBe(0);
}, 15_000);

test('siblings are told of a connection only once it carried a message (a flood of silent ones is not announced)', async () => {
  const t = start(() => {});
  const told: [string, boolean][] = [];
  t.onConnectionChange = (key, open) => told.push([key, open]);
  const silent = await Promise.all(Array.from({ length: 10 }, () => connectFrom(CLIENT, HOST, t.port)));
  clients.push(...silent);
  const talker = await connectFrom(CLIENT, HOST, t.port);
  clients.push(talker);
  talker.socket.write(options(HOST, CLIENT, 'TCP', 'talk'));
  await settle(() => told.length > 0);
  const key = `${CLIENT}:${talker.socket.localPort}`;
  expect(told).toEqual([[key, true]]);
  for (const c of silent) c.socket.destroy();
  talker.socket.destroy();
  await settle(() => t.openConnections === 0);
  expect(told).toEqual([[key, true], [key, false]]);
});

test('a sink that throws loses its message, not the connection or the worker', async () => {
  let calls = 0;
  const t = start(() => { calls++; throw new Error('handler bug'); });
  const c = await connectFrom(CLIENT, HOST, t.port);
  clients.push(c);
  c.socket.write(options(HOST, CLIENT, 'TCP', 'boom-1') + options(HOST, CLIENT, 'TCP', 'boom-2'));
  await settle(() => calls === 2);
  expect(calls).toBe(2);
  expect(c.closed()).toBe(false);
  expect(t.openConnections).toBe(1);
});

test('our own connections count against the total: beyond it, send() refuses instead of opening one', async () => {
  const t = new TcpEndpoints(HOST, () => {}, { ...limits, maxConnections: 2 });
  tcp = t;
  t.open(0);
  const a = await connectFrom(CLIENT, HOST, t.port);
  const b = await connectFrom(CLIENT, HOST, t.port);
  clients.push(a, b);
  await settle(() => t.openConnections === 2);
  expect(t.send('127.0.40.32', 5060, Buffer.from('x'))).toBe(false);
  expect(t.stats.refusedOutgoing).toBe(1);
});
