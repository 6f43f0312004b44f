import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../../support/control-section.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { dialogStates, SipSubscriber } from '../../../support/sip-subscriber.ts';
import { challengeField, digestAnswer, sipMessage, SipUdpPeer, statusOf } from '../../../support/sip-udp-peer.ts';
import { freePort, runSipp, SCENARIOS, SHARED, startSippUas } from '../../../support/sipp.ts';

/**
 * Busy lamps and call pickup through worker processes (issue 15): a subscription held by the
 * notifier (slot 0) lights with a real sipp call routed through the other worker (confirmed,
 * then terminated), a directed pickup (`**202`) of a ringing call, the subscription surviving
 * a restart, and a NOTIFY answered 481 removing it. 127.0.251.1 appliance; .10 subscriber 201,
 * .11 callee phone 202, .12 caller 203, .13 picker 204.
 */
const HOST = '127.0.251.1';
const SUB = '127.0.251.10';
const CALLEE = '127.0.251.11';
const CALLER = '127.0.251.12';
const PICKER = '127.0.251.13';
const PW: Record<string, string> = { '201': 'Amber-Lamp-2019', '202': 'Birch-Lamp-2029', '203': 'Cedar-Lamp-2039', '204': 'Dune-Lamp-2049' };
const hasSipp = requireTool('sipp');
const drachtio = join(SHARED, 'testdata/sipp-scenarios/drachtio-srf');
let t: TestControlSection;
let s: SipSubscriber;
let calleePort: number;
let pickerPort: number;

async function register(ext: string, ip: string, port: number) {
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext],
    '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', ip, '-p', String(port), '-m', '1'], 10);
  expect(r.code).toBe(0);
}

/** A call from 203 (fresh source port: the reuseport hash picks a worker) to `to`. */
async function callFrom203(to: string) {
  return runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', to, '-au', '203', '-ap', PW['203'],
    '-key', 'caller', '203', `${HOST}:${t.port}`, '-i', CALLER, '-p', String(await freePort(CALLER)), '-m', '1'], 20);
}

describe.skipIf(!hasSipp)('busy lamps across workers', () => {
  beforeAll(async () => {
    t = await startTestControlSection(HOST, { extensions: PW });
    calleePort = await freePort(CALLEE);
    pickerPort = await freePort(PICKER);
    await register('202', CALLEE, calleePort);
    await register('204', PICKER, pickerPort);
    s = await SipSubscriber.open(SUB, { user: '201', password: PW['201'], host: HOST, port: t.port });
    expect(statusOf(await s.subscribe('202', { expires: '3600' }))).toBe(200);
    expect(await s.waitNotify(() => true)).toBeTruthy();
  }, 40_000);
  afterAll(async () => {
    s?.close();
    await t?.stop();
  });

  test('a call through the other worker: NOTIFY confirmed after the 200 OK, then terminated', async () => {
    const notifierWorker = t.control.pool.workers.find((w) => w.slot === 0)!.id;
    let callId: string | undefined;
    // The kernel's reuseport hash places each caller port: call until one goes through the other worker.
    for (let i = 0; i < 8 && !callId; i++) {
      const before = s.notifies.length;
      const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', CALLEE, '-p', String(calleePort), '-m', '1'], 20);
      expect((await callFrom203('202')).code).toBe(0);
      expect((await callee.done).code).toBe(0);
      const ended = await s.waitNotify((n) => s.notifies.indexOf(n) >= before && dialogStates(n.body).includes('terminated'));
      expect(ended).toBeTruthy();
      const id = /call-id="([^"]+)"/.exec(ended!.body)![1];
      const call = t.control.calls.recentCalls(5).find((c) => c.callId === id);
      if (call && call.worker !== notifierWorker) callId = id;
    }
    expect(callId).toBeDefined();
    const mine = s.notifies.filter((n) => n.body.includes(`call-id="${callId}"`));
    const states = mine.flatMap((n) => dialogStates(n.body));
    // trying/early may share a NOTIFY (one batch); confirmed comes before terminated, each once.
    expect(states.indexOf('confirmed')).toBeGreaterThanOrEqual(0);
    expect(states.indexOf('terminated')).toBeGreaterThan(states.indexOf('confirmed'));
    expect(states.filter((x) => x === 'terminated')).toHaveLength(1);
    const confirmed = mine.find((n) => dialogStates(n.body).includes('confirmed'))!;
    expect(confirmed.body).toContain('direction="recipient"');
    expect(confirmed.body).toContain('<remote><identity>sip:203@office.lan</identity>');
    expect(confirmed.state).toMatch(/^active;expires=\d+$/);
    // Versions only grow (RFC 4235 §4.1.1).
    const versions = s.notifies.map((n) => Number(/version="(\d+)"/.exec(n.body)![1]));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    // NOTIFY latency after the 200 OK, from the appliance's trace and the subscriber's clock (same host).
    const trace = await t.control.view.callTrace(callId!);
    // The callee's 200 to the INVITE: the first 200 in after the INVITE out to it (straight from the
    // phone, or relayed by the sibling whose shared port it reached).
    const out = trace.findIndex((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(CALLEE));
    const ok = trace.slice(out).find((e) => e.dir === 'in' && e.label.startsWith('200'));
    expect(ok).toBeDefined();
    console.log(`NOTIFY confirmed ${confirmed.at - ok!.ts} ms after the callee's 200 OK reached the appliance (call on worker ${t.control.calls.recentCalls(5).find((c) => c.callId === callId)!.worker}, notifier on ${notifierWorker})`);
  }, 120_000);

  /** 204 dials a pickup code from its desk phone (hand-driven: its Contact is the registered phone); the final response. */
  async function dialPickup(code: string, callId: string): Promise<string | undefined> {
    const peer = await SipUdpPeer.open(PICKER);
    const contact = `<sip:204@${PICKER}:${pickerPort};transport=UDP>`;
    const invite = (seq: number, auth?: string) => sipMessage(`INVITE sip:${code}@office.lan SIP/2.0`, [
      `Via: SIP/2.0/UDP ${peer.hostPort};branch=z9hG4bK-${callId}${seq};rport`, `From: <sip:204@office.lan>;tag=${callId}`, `To: <sip:${code}@office.lan>`,
      `Call-ID: ${callId}`, `CSeq: ${seq} INVITE`, `Contact: ${contact}`, 'Max-Forwards: 70', ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
    ]);
    peer.send(invite(1), t.port, HOST);
    const challenge = await peer.waitFor((m) => statusOf(m) === 407);
    expect(challenge).toBeDefined();
    const auth = digestAnswer({ user: '204', realm: challengeField(challenge!, 'realm')!, password: PW['204'], method: 'INVITE', uri: `sip:${code}@office.lan`, nonce: challengeField(challenge!, 'nonce')! });
    peer.send(invite(2, auth), t.port, HOST);
    const final = await peer.waitFor((m) => m.includes(`z9hG4bK-${callId}2`) && (statusOf(m) ?? 0) >= 300);
    peer.close();
    return final;
  }

  test.each([
    ['directed (**202)', '**202'],
    ['group (*8: 204 is in no ring group, so every extension\'s call)', '*8'],
  ])('pickup %s: the ringing phone is cancelled, the picker\'s phone rings and answers', async (_name, code) => {
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', CALLEE, '-p', String(calleePort), '-m', '1'], 20);
    const pickerPhone = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PICKER, '-p', String(pickerPort), '-m', '1'], 20);
    const before = s.notifies.length;
    const caller = callFrom203('202');
    const early = await s.waitNotify((n) => s.notifies.indexOf(n) >= before && dialogStates(n.body).some((x) => x === 'early' || x === 'trying'));
    expect(early).toBeTruthy();
    // The control section's board, as the console reads it (ApplianceView.lamps, GET /api/lamps).
    expect(t.control.view.lamps().find((l) => l.extension === '202')?.state).toBe('ringing');

    expect(await dialPickup(code, `pickup-${code.length}`)).toStartWith('SIP/2.0 480 Picked Up');
    expect((await caller).code).toBe(0); // answered by the picker's phone, then BYE
    expect((await pickerPhone.done).code).toBe(0);
    expect((await ringing.done).code).toBe(0); // got its CANCEL
    expect(t.control.calls.recentCalls(5)[0].to).toBe('sip:202@office.lan');
    // 202's lamp went back to idle (terminated) when its phone was cancelled.
    expect(s.notifies.slice(before).flatMap((n) => dialogStates(n.body))).toContain('terminated');
  }, 60_000);

  test('attack: pickup without credentials is challenged; with nothing ringing: 480 Nothing To Pick Up', async () => {
    const peer = await SipUdpPeer.open(PICKER);
    const msg = (seq: number, auth?: string) => sipMessage('INVITE sip:*8@office.lan SIP/2.0', [
      `Via: SIP/2.0/UDP ${peer.hostPort};branch=z9hG4bK-g${seq};rport`, 'From: <sip:204@office.lan>;tag=g1', 'To: <sip:*8@office.lan>',
      'Call-ID: pickup-2', `CSeq: ${seq} INVITE`, `Contact: <sip:204@${peer.hostPort}>`, 'Max-Forwards: 70', ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
    ]);
    peer.send(msg(1), t.port, HOST);
    const challenge = await peer.waitFor((m) => statusOf(m) === 407);
    expect(challenge).toBeDefined();
    const auth = digestAnswer({ user: '204', realm: challengeField(challenge!, 'realm')!, password: PW['204'], method: 'INVITE', uri: 'sip:*8@office.lan', nonce: challengeField(challenge!, 'nonce')! });
    peer.send(msg(2, auth), t.port, HOST);
    expect(await peer.waitFor((m) => m.includes('z9hG4bK-g2') && (statusOf(m) ?? 0) >= 300)).toStartWith('SIP/2.0 480 Nothing To Pick Up');
    peer.close();
  }, 20_000);

  test('the subscription survives a restart (a full NOTIFY from the new notifier); a NOTIFY answered 481 removes it', async () => {
    expect(t.control.store.subscriptions.list()).toHaveLength(1);
    const before = s.notifies.length;
    const lastCseq = s.notifies.at(-1)!.cseq;
    s.notifyStatus = 481;
    await t.control.stop();
    await t.restart();
    const again = await s.waitNotify((n) => s.notifies.indexOf(n) >= before, 8000);
    expect(again?.state).toMatch(/^active;expires=\d+$/);
    expect(again!.cseq).toBeGreaterThan(lastCseq);
    const until = Date.now() + 5000;
    while (t.control.store.subscriptions.list().length > 0 && Date.now() < until) await Bun.sleep(20);
    expect(t.control.store.subscriptions.list()).toHaveLength(0);
  }, 60_000);
});
