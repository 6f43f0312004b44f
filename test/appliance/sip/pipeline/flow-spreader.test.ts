import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import type { Source } from '../../../../appliance/sip/message/types.ts';
import { AdmissionControl } from '../../../../appliance/sip/pipeline/admission-control.ts';
import { FlowSpreader } from '../../../../appliance/sip/pipeline/flow-spreader.ts';
import { SiblingLink } from '../../../../appliance/sip/transport/sibling-link.ts';

/**
 * The flow spreader over two real sibling links (UDP on 127.0.0.1, as between two workers):
 * what a saturated worker hands over, what follows it, what stays, and what a frame without
 * the key achieves (nothing).
 */
const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const GATEWAY: Source = { transport: 'udp', address: '127.0.77.20', port: 5070, localPort: 5060 };
const got: { data: string; source: Source }[] = [];
let one: SiblingLink;
let two: SiblingLink;
let admission: AdmissionControl;
let spreader: FlowSpreader;

const invite = (callId: string, method = 'INVITE', toTag = '') => Buffer.from([
  `${method} sip:701@office.lan SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.77.20:5070;branch=z9hG4bK-' + callId,
  `To: <sip:701@office.lan>${toTag}`, 'From: <sip:gw@127.0.77.20>;tag=g1', `Call-ID: ${callId}`, `CSeq: 1 ${method}`, '', ''].join('\r\n'), 'latin1');

async function settle(cond: () => boolean, ms = 1000): Promise<void> {
  const until = performance.now() + ms;
  while (!cond() && performance.now() < until) await Bun.sleep(5);
}
/** Worker 2 says how it is; worker 1 hears it. */
async function twoSays(share: number, lagMs: number): Promise<void> {
  const before = one.siblingLoads()[0]?.at ?? 0;
  two.beacon(share, lagMs);
  await settle(() => (one.siblingLoads()[0]?.at ?? 0) > before);
}

beforeAll(async () => {
  one = new SiblingLink(1, () => {}, () => 5060);
  two = new SiblingLink(2, (data, source) => got.push({ data: data.toString('latin1'), source }), () => 5060);
  const inboxes = [{ workerId: 1, port: await one.open() }, { workerId: 2, port: await two.open() }];
  one.setSiblings(KEY, inboxes);
  two.setSiblings(KEY, inboxes);
  admission = new AdmissionControl();
  spreader = new FlowSpreader(one, admission, { busyLagMs: 20, maxLagMs: 50, maxAgeMs: 300 });
});
afterAll(async () => {
  await one.close();
  await two.close();
});

describe('FlowSpreader', () => {
  test('calm: everything stays, nothing is remembered', async () => {
    await twoSays(1, 1);
    expect(spreader.offer(invite('calm-1'), GATEWAY)).toBe('pass');
    admission.localShare = 0.5;
    // Still here when pressed later: a new request is placed anew, nothing followed it.
    expect(spreader.offer(invite('calm-1', 'ACK', ';tag=t'), GATEWAY)).toBe('pass');
    admission.localShare = 1;
  });

  test('pressed (share 0.5): every other new INVITE is handed over as it came, from the address it came from', async () => {
    admission.localShare = 0.5;
    got.length = 0;
    const outcomes = ['p-1', 'p-2', 'p-3', 'p-4'].map((id) => spreader.offer(invite(id), GATEWAY));
    expect(outcomes.filter((o) => o === 'kept')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'handed')).toHaveLength(2);
    await settle(() => got.length === 2);
    expect(got.map((g) => g.source)).toEqual([{ ...GATEWAY, handed: true }, { ...GATEWAY, handed: true }]);
    const handedIds = got.map((g) => /Call-ID: (\S+)/.exec(g.data)![1]);
    const keptIds = ['p-1', 'p-2', 'p-3', 'p-4'].filter((id) => !handedIds.includes(id));
    expect(got[0].data).toBe(invite(handedIds[0]).toString('latin1'));
    // The rest of a handed call follows it, also once the pressure is gone; a kept call stays.
    admission.localShare = 1;
    got.length = 0;
    expect(spreader.offer(invite(handedIds[0]), GATEWAY)).toBe('handed'); // retransmission
    expect(spreader.offer(invite(handedIds[0], 'CANCEL'), GATEWAY)).toBe('handed');
    expect(spreader.offer(invite(handedIds[1], 'BYE', ';tag=c'), GATEWAY)).toBe('handed');
    expect(spreader.offer(invite(keptIds[0]), GATEWAY)).toBe('pass');
    await settle(() => got.length === 3);
    expect(got).toHaveLength(3);
    expect(spreader.handedOut).toBe(5);
  });

  test('pressed: requests inside a dialog, OPTIONS, responses and TCP stay', () => {
    admission.localShare = 0.02;
    expect(spreader.offer(invite('d-1', 'INVITE', ';tag=x'), GATEWAY)).toBe('pass');
    expect(spreader.offer(invite('o-1', 'OPTIONS'), GATEWAY)).toBe('pass');
    expect(spreader.offer(Buffer.from('SIP/2.0 180 Ringing\r\nCall-ID: r-1\r\nTo: <sip:a@b>;tag=1\r\n\r\n'), GATEWAY)).toBe('pass');
    expect(spreader.offer(invite('t-1'), { ...GATEWAY, transport: 'tcp', connection: '127.0.77.20:5070' })).toBe('pass');
    admission.localShare = 1;
  });

  test('no sibling with room (it sheds about as much, or is draining): nothing is handed, the overload stage refuses', async () => {
    await twoSays(0.7, 5);
    admission.localShare = 0.5;
    const outcomes = ['n-1', 'n-2', 'n-3'].map((id) => spreader.offer(invite(id), GATEWAY));
    expect(outcomes).not.toContain('handed');
    // It admits 0.7 where we admit 0.02: it takes what we would refuse (spread-choice.ts) and applies its own share.
    admission.localShare = 0.02;
    expect(['m-1', 'm-2', 'm-3'].map((id) => spreader.offer(invite(id), GATEWAY))).toContain('handed');
    await twoSays(0, 0);
    expect(spreader.offer(invite('n-4'), GATEWAY)).not.toBe('handed');
    admission.localShare = 1;
    await twoSays(1, 1);
  });

  test('a request a sibling handed to us is counted and never handed again', () => {
    admission.localShare = 0.02;
    const before = spreader.handedIn;
    expect(spreader.offer(invite('h-1'), { ...GATEWAY, handed: true })).toBe('pass');
    expect(spreader.handedIn).toBe(before + 1);
    admission.localShare = 1;
  });

  test('a sibling silent for over a second gets nothing more of its calls: they are handled here', async () => {
    admission.localShare = 0.02;
    await twoSays(1, 1);
    let id = '';
    for (let i = 0; i < 100 && !id; i++) if (spreader.offer(invite(`q-${i}`), GATEWAY) === 'handed') id = `q-${i}`;
    expect(id).not.toBe('');
    admission.localShare = 1;
    await Bun.sleep(1100);
    expect(spreader.offer(invite(id, 'BYE', ';tag=z'), GATEWAY)).toBe('pass');
  });
});

describe('FlowSpreader memory', () => {
  test('placements age out on the ticks alone, two generations of 32 s, with no datagram coming', async () => {
    const s = new FlowSpreader(one, admission, { busyLagMs: 20, maxLagMs: 50, maxAgeMs: 300 });
    await twoSays(1, 1);
    admission.localShare = 0.02;
    let id = '';
    for (let i = 0; i < 100 && !id; i++) if (s.offer(invite(`m-${i}`), GATEWAY) === 'handed') id = `m-${i}`;
    admission.localShare = 1;
    expect(id).not.toBe('');
    expect(s.remembered).toBeGreaterThan(0); // what the idle collection waits for (connection-control/idle-collect.ts)
    const t0 = performance.now();
    s.tick(t0 + 33_000); // into the older generation: still followed
    await twoSays(1, 1);
    expect(s.offer(invite(id, 'BYE', ';tag=z'), GATEWAY)).toBe('handed');
    s.tick(t0 + 66_000); // gone
    expect(s.remembered).toBe(0);
    expect(s.offer(invite(id, 'BYE', ';tag=z'), GATEWAY)).toBe('pass');
    await Bun.sleep(50); // what was handed has arrived at worker 2
    got.length = 0;
  });
});

describe('attack: the sibling inbox', () => {
  const frames: [string, Buffer][] = [
    ['no key', Buffer.concat([Buffer.from('R'), Buffer.from('127.0.77.66 5060\n'), invite('x-1')])],
    ['a wrong key', Buffer.concat([Buffer.from('00112233445566778899aabbccddeeff', 'hex'), Buffer.from('R127.0.77.66 5060\n'), invite('x-2')])],
    ['the right key, a beacon for a worker that is not a sibling', Buffer.concat([Buffer.from(KEY, 'hex'), Buffer.from('L9 1 0')])],
    ['the right key, a request without an address line', Buffer.concat([Buffer.from(KEY, 'hex'), Buffer.from('R'), invite('x-3')])],
    ['the right key, port 0', Buffer.concat([Buffer.from(KEY, 'hex'), Buffer.from('R127.0.77.66 0\n'), invite('x-4')])],
    ['the right key, an unknown kind', Buffer.concat([Buffer.from(KEY, 'hex'), Buffer.from('Z')])],
    ['a lone byte', Buffer.from('R')],
  ];
  test('frames without the key, or unreadable, are dropped and counted; nothing is delivered', async () => {
    got.length = 0;
    const before = two.rejected;
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    for (const [, f] of frames) s.send(f, two.port, '127.0.0.1');
    await settle(() => two.rejected === before + frames.length);
    s.close();
    expect(two.rejected - before).toBe(frames.length);
    expect(got).toEqual([]);
  });
});
