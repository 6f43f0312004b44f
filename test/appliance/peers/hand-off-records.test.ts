import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, SCENARIOS, sippMessages, startSipp } from '../../support/sipp.ts';
import { SipUdpPeer, sipMessage, statusOf } from '../../support/sip-udp-peer.ts';
import { PeerPair, waitFor } from './support/peer-pair.ts';
import { callIdOf } from '../../support/sip-text.ts';

/**
 * Issue 19: one call record for a call A handed off to B by forwarding (`hand_off_mode =
 * "forward"`). Both proxies see the call; B routes it (locates the phone, the call plan), so B
 * writes the record and A marks it transit (sip/call-owner.ts): A's calls view still shows the
 * call while it is up, its store has no record. A forward B never answers (B gone, A not yet
 * aware) is recorded on A, the only member that saw it. Callers are sipp on A (a trusted
 * gateway), the phone sipp registered on B over UDP. A (127.0.232.1) and B (127.0.232.2), one
 * worker each. Loopback 127.0.232.0/24 only.
 */
const A = '127.0.232.1';
const B = '127.0.232.2';
const CALLER = '127.0.232.10';
const PHONE = '127.0.232.21';
const EXT = '841';
const hasSipp = requireTool('sipp');

let pair: PeerPair;
/** The phone's one binding on B (each test's sipp phone listens there: no stale second binding to ring). */
let phonePort: number;
const recordOn = (m: typeof pair.a, callId: string) => m.control!.store.callRecords.byCallId(callId);

describe.skipIf(!hasSipp)('a call handed off by forwarding: one call record, on the member that routes it', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({
      hosts: [A, B], workers: [1, 1], extensions: [[EXT], [EXT]], trusted: [CALLER],
      control: ['hand_off_mode = "forward"', 'hand_off_mode = "forward"'],
    });
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    expect((await a.peers.handOff({ cause: 'admin', peer: 'b' })).ok).toBe(true);
    phonePort = await pair.register(pair.b, EXT, PHONE);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  test("answered: B's record, none on A; A's calls view has the call while it is up", async () => {
    const callee = startSipp(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', PHONE, '-p', String(phonePort), '-m', '1'], 25);
    await Bun.sleep(300);
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', EXT, `${A}:${pair.a.sipPort}`, '-i', CALLER, '-p', String(await freePort(CALLER)), '-d', '2500', '-m', '1'], 25);
    const active = () => pair.b.control!.calls.list()[0]?.callId;
    expect(await waitFor(() => active() !== undefined, 8000)).toBeGreaterThanOrEqual(0);
    const callId = active()!;
    // Up: both calls views have it; the record is B's alone.
    expect(await waitFor(() => recordOn(pair.b, callId) !== undefined, 3000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(() => pair.a.control!.calls.list().some((c) => c.callId === callId), 3000)).toBeGreaterThanOrEqual(0);
    expect(recordOn(pair.a, callId)).toBeUndefined();
    // From the gateway to A's address, a peer's (the office's): inbound, as A would have said.
    expect(recordOn(pair.b, callId)).toMatchObject({ result: 200, endedAt: null, direction: 'inbound', from: expect.stringContaining(CALLER) });
    const [c, p] = await Promise.all([caller.done, callee.done]);
    expect(c.code).toBe(0);
    expect(p.code).toBe(0);
    // A forwarded it (A's Via below B's at the phone), not the phone's own way to B.
    const esc = (h: string) => h.replace(/\./g, '\\.');
    expect(await sippMessages(p)).toMatch(new RegExp(`Via: SIP/2\\.0/UDP ${esc(B)}:\\d+;[^\\r\\n]*\\r\\nVia: SIP/2\\.0/UDP ${esc(A)}:\\d+;`));
    // Hung up: B's record ends with the BYE, A still has none and no call.
    expect(await waitFor(() => !!recordOn(pair.b, callId)?.endedAt, 5000)).toBeGreaterThanOrEqual(0);
    expect(recordOn(pair.b, callId)!.reason).toBe('BYE');
    expect(await waitFor(() => !pair.a.control!.calls.list().some((x) => x.callId === callId), 5000)).toBeGreaterThanOrEqual(0);
    expect(recordOn(pair.a, callId)).toBeUndefined();
  }, 40_000);

  test("refused by the phone (486): B's failed record, none on A", async () => {
    const callee = startSipp(['-sf', join(SCENARIOS, 'uas-486.xml'), '-i', PHONE, '-p', String(phonePort), '-m', '1'], 20);
    await Bun.sleep(300);
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-expect-486.xml'), '-s', EXT, `${A}:${pair.a.sipPort}`, '-i', CALLER, '-p', String(await freePort(CALLER)), '-m', '1'], 20);
    const [c, p] = await Promise.all([caller.done, callee.done]);
    expect(c.code).toBe(0);
    expect(p.code).toBe(0);
    const callId = callIdOf(await sippMessages(p))!;
    expect(await waitFor(() => recordOn(pair.b, callId) !== undefined, 3000)).toBeGreaterThanOrEqual(0);
    expect(recordOn(pair.b, callId)).toMatchObject({ result: 486 });
    await Bun.sleep(300); // A's worker reports its events in batches: give a wrong record time to arrive
    expect(recordOn(pair.a, callId)).toBeUndefined();
  }, 30_000);

  test('B gone before A noticed: the forward is never answered; A answers 408 and records it (B saw nothing)', async () => {
    await pair.stopMember(pair.b);
    const gw = await SipUdpPeer.open(CALLER);
    try {
      const callId = `unanswered-forward-${Date.now()}`;
      gw.send(sipMessage(`INVITE sip:${EXT}@office.lan SIP/2.0`, [
        `Via: SIP/2.0/UDP ${gw.hostPort};branch=z9hG4bK-${callId};rport`, 'Max-Forwards: 70', `From: <sip:gateway@${gw.hostPort}>;tag=g1`,
        `To: <sip:${EXT}@office.lan>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <sip:gateway@${gw.hostPort}>`,
      ]), pair.a.sipPort, A);
      // Timer B (64·T1 = 32 s, RFC 3261 §17.1.1.2) on A's forward, then A's own 408.
      const res = await gw.waitFor((m) => callIdOf(m) === callId && (statusOf(m) ?? 0) >= 200, 40_000);
      expect(statusOf(res)).toBe(408);
      expect(await waitFor(() => recordOn(pair.a, callId) !== undefined, 3000)).toBeGreaterThanOrEqual(0);
      expect(recordOn(pair.a, callId)).toMatchObject({ result: 408 });
    } finally {
      gw.close();
    }
  }, 60_000);
});
