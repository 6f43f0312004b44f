import { describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { parseUdpTable, ReceiveQueue } from '../../../../appliance/sip/transport/receive-queue.ts';

/** /proc/net/udp as Linux 6.1 prints it (this box), two sockets sharing port 5060 (SO_REUSEPORT), one with a backlog. */
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  539: 0100007F:D05E 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 59570 2 000000008022a334 0
 1021: 01AA007F:13C4 00000000:0000 07 00000000:0007B000 00:00000000 00000000     0        0 61140 2 000000004d30aa43 12
 1021: 01AA007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 61669 2 0000000011111111 0
 1117: 01AA007F:1428 00000000:0000 07 00000000:00001A00 00:00000000 00000000     0        0 61668 2 0000000022222222 0
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1021: 00000000000000000000000001000000:13C4 00000000000000000000000000000000:0000 07 00000000:00000400 00:00000000 00000000     0        0 61700 2 0000000033333333 0
`;

describe('parseUdpTable', () => {
  test('rows of the ports asked for, with rx_queue in bytes, inode and drops', () => {
    expect(parseUdpTable(UDP, new Set([5060, 5160]))).toEqual([
      { port: 5060, inode: 61140, rxQueue: 0x7b000, drops: 12 },
      { port: 5060, inode: 61669, rxQueue: 0, drops: 0 },
      { port: 5160, inode: 61668, rxQueue: 0x1a00, drops: 0 },
    ]);
  });
  test('IPv6 rows', () => expect(parseUdpTable(UDP6, new Set([5060]))).toEqual([{ port: 5060, inode: 61700, rxQueue: 0x400, drops: 0 }]));
  test('the header, empty and garbled lines are skipped', () => {
    expect(parseUdpTable('', new Set([5060]))).toEqual([]);
    expect(parseUdpTable('  1: 0100007F:13C4 zz\n garbage\n', new Set([5060]))).toEqual([]);
  });
});

describe('ReceiveQueue', () => {
  const tables = (p: string) => (p.endsWith('6') ? UDP6 : UDP);
  test('only the sockets this process holds count (a sibling worker shares the port)', () => {
    const q = new ReceiveQueue(() => [5060, 5160], () => 0, tables, () => new Set([61140, 61668]));
    expect(q.read()).toBe(0x7b000 + 0x1a00);
    expect(q.drops).toBe(12);
  });
  test('an unknown inode is learnt at most once a second', () => {
    let now = 0;
    let scans = 0;
    const q = new ReceiveQueue(() => [5060], () => now, tables, () => (scans++, new Set([61140])));
    q.read();
    q.read();
    expect(scans).toBe(1);
    now = 1500;
    q.read(); // 61700 (udp6) and 61669 are known as not ours: no rescan
    expect(scans).toBe(1);
  });
  test('where /proc cannot be read: unavailable, 0', () => {
    const q = new ReceiveQueue(() => [5060], () => 0, () => { throw new Error('EACCES'); }, () => new Set());
    expect(q.read()).toBe(0);
    expect(q.available).toBe(false);
  });
  test.skipIf(process.platform !== 'linux')('a real socket with unread datagrams: its backlog is seen, and gone once read', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.188.1', r));
    const port = sock.address().port;
    const q = new ReceiveQueue(() => [port]);
    const got: Buffer[] = [];
    // Paused: nothing is read while the datagrams arrive (Bun reads only with a listener).
    const sender = dgram.createSocket('udp4');
    const payload = Buffer.alloc(500, 'x');
    for (let i = 0; i < 50; i++) await new Promise<void>((r) => sender.send(payload, port, '127.0.188.1', () => r()));
    const before = q.read();
    sock.on('message', (m) => got.push(m));
    const end = Date.now() + 2000;
    while (got.length < 50 && Date.now() < end) await Bun.sleep(10);
    const after = q.read();
    sender.close();
    sock.close();
    expect(q.available).toBe(true);
    expect(before).toBeGreaterThanOrEqual(50 * 500);
    expect(got.length).toBe(50);
    expect(after).toBe(0);
  });
});
