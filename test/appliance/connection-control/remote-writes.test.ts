import { afterEach, describe, expect, test } from 'bun:test';
import { REMOTE_FAILURE_WAIT_MS, RemoteWrites } from '../../../appliance/connection-control/remote-writes.ts';
import type { TcpWrite, WorkerToControl } from '../../../appliance/control/ipc-protocol.ts';
import { connectionKey } from '../../../appliance/sip/transport/connection-key.ts';
import { TcpEndpoints } from '../../../appliance/sip/transport/tcp-transport.ts';
import type { SipTcpLimits } from '../../../system/config/index.ts';
import { connectFrom, options, type RawClient } from '../sip/transport/support/tcp-client.ts';

/**
 * A worker's writes to connections its siblings hold (issue 19: the race right after a TCP
 * phone's connection closes). RemoteWrites with a real TcpEndpoints on 127.0.212.40 (a phone on
 * .41); the IPC is the list of messages the worker would send. Loopback 127.0.212.0/24 only.
 */
const HOST = '127.0.212.40';
const PHONE = '127.0.212.41';
const limits: SipTcpLimits = { maxConnections: 50, maxPerSource: 50, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10 };
const ME = 7;
const SIBLING = 8;
let tcp: TcpEndpoints | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await tcp?.close();
  tcp = undefined;
});

const settle = async (ok: () => boolean, ms = 3000) => {
  const deadline = performance.now() + ms;
  while (!ok() && performance.now() < deadline) await Bun.sleep(10);
};

/** A TcpEndpoints and, when asked, a phone connected to it that has sent one message (its key). */
async function edgeWithPhone(): Promise<{ edge: TcpEndpoints; key: string; phone: RawClient }> {
  let key: string | undefined;
  tcp = new TcpEndpoints(HOST, (_, source) => { key = source.connection; }, limits);
  tcp.open(0);
  const phone = await connectFrom(PHONE, HOST, tcp.port);
  clients.push(phone);
  phone.socket.write(options(HOST, PHONE, 'TCP', 'remote'));
  await settle(() => key !== undefined);
  return { edge: tcp, key: key!, phone };
}

describe('the sending worker', () => {
  test('no sibling holds the connection (or only we do): not handed over, nothing sent', () => {
    const sent: WorkerToControl[] = [];
    const r = new RemoteWrites(ME, (m) => sent.push(m));
    expect(r.write('tcp:127.0.212.41:5000', '127.0.212.41', 5000, Buffer.from('x'), false, () => {})).toBe(false);
    r.applyOwners([['tcp:127.0.212.41:5000', ME]]);
    expect(r.write('tcp:127.0.212.41:5000', '127.0.212.41', 5000, Buffer.from('x'), false, () => {})).toBe(false);
    expect(sent).toEqual([]);
  });

  test('a sibling holds it: the bytes go with an id when the sender wants to hear of a failure, told once', () => {
    const sent: WorkerToControl[] = [];
    const r = new RemoteWrites(ME, (m) => sent.push(m));
    const key = 'tcp:127.0.212.41:5000';
    r.applyOwners([[key, SIBLING]]);
    const told: string[] = [];
    expect(r.write(key, '127.0.212.41', 5000, Buffer.from('INVITE'), false, (why) => told.push(why))).toBe(true);
    expect(r.write(key, '127.0.212.41', 5000, Buffer.from('200 OK'), true)).toBe(true);
    expect(sent).toEqual([
      { type: 'tcp-write', key, address: '127.0.212.41', port: 5000, data: Buffer.from('INVITE').toString('base64'), id: 1, connect: false },
      { type: 'tcp-write', key, address: '127.0.212.41', port: 5000, data: Buffer.from('200 OK').toString('base64') },
    ]);
    expect(r.waiting).toBe(1);
    r.failed(1, 'no worker holds the connection');
    r.failed(1, 'again');
    r.failed(99, 'not ours');
    expect(told).toEqual(['no worker holds the connection']);
    expect(r.waiting).toBe(0);
    // Closed (null): no sibling holds it any more.
    r.applyOwners([[key, null]]);
    expect(r.siblingHolds(key)).toBe(false);
  });

  test('a failure not told within the wait is let go (no growth); a late answer then tells nobody', () => {
    let now = 0;
    const r = new RemoteWrites(ME, () => {}, () => now);
    const key = 'tcp:127.0.212.41:5000';
    r.applyOwners([[key, SIBLING]]);
    const told: number[] = [];
    for (let i = 0; i < 100; i++) r.write(key, '127.0.212.41', 5000, Buffer.from('x'), false, () => told.push(i));
    expect(r.waiting).toBe(100);
    now = REMOTE_FAILURE_WAIT_MS + 1;
    r.write(key, '127.0.212.41', 5000, Buffer.from('x'), false, () => told.push(100));
    expect(r.waiting).toBe(1);
    r.failed(1, 'late');
    expect(told).toEqual([]);
    r.failed(101, 'in time');
    expect(told).toEqual([100]);
  });
});

describe('the holding worker', () => {
  const write = (key: string, extra: Partial<TcpWrite> = {}): TcpWrite => ({ type: 'tcp-write', key, address: PHONE, port: Number(key.split(':').pop()), data: Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n').toString('base64'), ...extra });

  test('over its connection: the phone gets the bytes, nobody is told of a failure', async () => {
    const { edge, key, phone } = await edgeWithPhone();
    const sent: WorkerToControl[] = [];
    // Our own table says the sibling holds it (stale): delivered here anyway, never handed on.
    const r = new RemoteWrites(ME, (m) => sent.push(m));
    r.applyOwners([[key, SIBLING]]);
    edge.remoteWrite = (k, a, p, d, c, f) => r.write(k, a, p, d, c, f);
    r.deliver(write(key, { id: 5, from: SIBLING, connect: false }), edge);
    await phone.waitFor((t) => t.includes('INVITE sip:x'), 3000);
    expect(sent).toEqual([]);
  });

  test('the connection gone (closed just now, the tables behind): the sender is told at once, and a flow is not reopened', async () => {
    const { edge, key, phone } = await edgeWithPhone();
    let accepted = 0;
    const port = Number(key.split(':').pop());
    phone.socket.destroy();
    await settle(() => edge.openConnections === 0);
    // Listen where the phone was: a new connection to it would be counted.
    const listener = Bun.listen({ hostname: PHONE, port, socket: { open: () => void accepted++, data: () => {} } });
    try {
      const sent: WorkerToControl[] = [];
      const r = new RemoteWrites(ME, (m) => sent.push(m));
      r.applyOwners([[key, SIBLING]]);
      edge.remoteWrite = (k, a, p, d, c, f) => r.write(k, a, p, d, c, f);
      r.deliver(write(key, { id: 5, from: SIBLING, connect: false }), edge);
      expect(sent).toEqual([{ type: 'tcp-write-failed', id: 5, to: SIBLING, reason: `worker ${ME} no longer holds the connection` }]);
      // Without an id nobody asked: nothing to say.
      r.deliver(write(key, { connect: false }), edge);
      expect(sent.length).toBe(1);
      await Bun.sleep(100);
      expect(accepted).toBe(0);
    } finally {
      listener.stop(true);
    }
  });

  test('the phone closes just after the holder wrote a flow-only message for a sibling: the sibling is told', async () => {
    const { edge, key, phone } = await edgeWithPhone();
    const sent: WorkerToControl[] = [];
    const r = new RemoteWrites(ME, (m) => sent.push(m));
    r.deliver(write(key, { id: 9, from: SIBLING, connect: false }), edge);
    // Also a message that may reconnect (not a flow): its sender is not told at the close.
    r.deliver(write(key, { id: 10, from: SIBLING }), edge);
    expect(sent).toEqual([]);
    phone.socket.destroy();
    await settle(() => sent.length > 0);
    expect(sent).toEqual([{ type: 'tcp-write-failed', id: 9, to: SIBLING, reason: 'the connection closed just after the message was written' }]);
    expect(key).toBe(connectionKey('tcp', PHONE, Number(key.split(':').pop())));
  });
});
