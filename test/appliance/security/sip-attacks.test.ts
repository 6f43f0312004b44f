import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { challengeField, digestAnswer, sipMessage, SipUdpPeer, statusOf } from '../../support/sip-udp-peer.ts';

/**
 * Issue 10's SIP attacks, each run against a real connection control section on loopback
 * (127.0.60.1) from hand-made datagrams: the phones are 127.0.60.10-.19, strangers and
 * victims .20-.59. Every test states the finding it covers.
 */
const HOST = '127.0.60.1';
const REALM = 'office.lan';
const PW: Record<string, string> = { '201': 'Alpha-Pass-201', '202': 'Bravo-Pass-202', '203': 'Charlie-Pass-203' };
let ap: TestAppliance;
const peers: SipUdpPeer[] = [];
let seq = 0;

async function peer(address: string): Promise<SipUdpPeer> {
  const p = await SipUdpPeer.open(address);
  peers.push(p);
  return p;
}

const id = (what: string) => `${what}-${++seq}-${Date.now()}`;

function register(p: SipUdpPeer, ext: string, callId: string, cseq: number, auth?: string, opts: { contact?: string; uri?: string } = {}): string {
  return sipMessage(`REGISTER sip:${REALM} SIP/2.0`, [
    `Via: SIP/2.0/UDP ${p.hostPort};rport;branch=z9hG4bK-${id('r')}`, 'Max-Forwards: 70',
    `From: <sip:${ext}@${REALM}>;tag=${callId}`, `To: <sip:${ext}@${REALM}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
    `Contact: <${opts.contact ?? `sip:${ext}@${p.hostPort}`}>`, 'Expires: 600', ...(auth ? [`Authorization: ${auth}`] : []),
  ]);
}

/** REGISTER → 401 → REGISTER with digest; returns the final response and the Authorization used. */
async function registerWithDigest(p: SipUdpPeer, ext: string, password = PW[ext], opts: { contact?: string; uri?: string } = {}) {
  const callId = id(`reg${ext}`);
  p.send(register(p, ext, callId, 1, undefined, opts), ap.port, HOST);
  const challenge = await p.waitFor((m) => m.includes(callId) && statusOf(m) === 401);
  const nonce = challengeField(challenge!, 'nonce')!;
  const auth = digestAnswer({ user: ext, realm: REALM, password, method: 'REGISTER', uri: opts.uri ?? `sip:${REALM}`, nonce });
  p.send(register(p, ext, callId, 2, auth, opts), ap.port, HOST);
  const final = await p.waitFor((m) => m.includes(callId) && m.includes('CSeq: 2 REGISTER') && statusOf(m)! >= 200);
  return { final, auth, callId };
}

function invite(p: SipUdpPeer, ruri: string, opts: { from?: string; toTag?: string; route?: string; callId?: string; extra?: string[] } = {}): { text: string; callId: string } {
  const callId = opts.callId ?? id('inv');
  const text = sipMessage(`INVITE ${ruri} SIP/2.0`, [
    `Via: SIP/2.0/UDP ${p.hostPort};rport;branch=z9hG4bK-${id('i')}`, 'Max-Forwards: 70',
    `From: ${opts.from ?? `<sip:stranger@evil.example>`};tag=f${callId}`, `To: <${ruri}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <sip:x@${p.hostPort}>`, ...(opts.route ? [`Route: ${opts.route}`] : []), ...(opts.extra ?? []),
  ]);
  return { text, callId };
}

describe('SIP attacks (issue 10)', () => {
  beforeAll(async () => {
    // The embedded [security] defaults: 5 failed logins ban an address.
    ap = await startTestAppliance(HOST);
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await ap?.stop();
  });

  test('1. forged in-dialog INVITE (made-up To tag, Route to us) to an outside number is not relayed', async () => {
    const stranger = await peer('127.0.60.20');
    const farEnd = await peer('127.0.60.21');
    const route = `<sip:${HOST}:${ap.port};lr>`;
    const forged = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged1', route });
    stranger.send(forged.text, ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(forged.callId)))).toBe(403);
    // With a made-up dialog token too.
    const forged2 = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged2', route: `<sip:${HOST}:${ap.port};lr;dlg=0123456789abcdef0123>` });
    stranger.send(forged2.text, ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(forged2.callId)))).toBe(403);
    // Without a Route of ours, a request inside a dialog we do not know: 481.
    const noRoute = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged3' });
    stranger.send(noRoute.text, ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(noRoute.callId)))).toBe(481);
    await Bun.sleep(200);
    expect(farEnd.inbox).toHaveLength(0);
  });

  test('2. a digest uri that is not the Request-URI is refused (400), not registered', async () => {
    const phone = await peer('127.0.60.10');
    const r = await registerWithDigest(phone, '201', PW['201'], { uri: 'sip:totally-different.example' });
    expect(statusOf(r.final)).toBe(400);
    expect(ap.app.sip.location.bindings(`sip:201@${REALM}`)).toHaveLength(0);
  });

  test('3. a captured Authorization re-sent from another host, or again, is challenged, not accepted', async () => {
    const phone = await peer('127.0.60.11');
    const ok = await registerWithDigest(phone, '202');
    expect(statusOf(ok.final)).toBe(200);
    const attacker = await peer('127.0.60.22');
    const callId = id('replay');
    attacker.send(register(attacker, '202', callId, 2, ok.auth, { contact: `sip:202@${attacker.hostPort}` }), ap.port, HOST);
    expect(statusOf(await attacker.waitFor((m) => m.includes(callId)))).toBe(401);
    // The same header from the phone's own address again (same nonce and nc): a fresh challenge.
    const again = id('replay2');
    phone.send(register(phone, '202', again, 3, ok.auth), ap.port, HOST);
    const res = await phone.waitFor((m) => m.includes(again));
    expect(statusOf(res)).toBe(401);
    expect(res).toContain('stale=true');
    expect(ap.app.sip.location.bindings(`sip:202@${REALM}`).map((b) => b.source)).toEqual([`udp:${phone.hostPort}`]);
  });

  test('4. password guessing is banned after 5 failures and logged; the right password is then not answered; a lift restores service', async () => {
    const guesser = await peer('127.0.60.23');
    for (let i = 0; i < 5; i++) {
      const r = await registerWithDigest(guesser, '203', `Wrong-Guess-${i}`);
      expect(statusOf(r.final)).toBe(403);
    }
    const after = id('after-ban');
    guesser.send(register(guesser, '203', after, 1), ap.port, HOST);
    expect(await guesser.waitFor((m) => m.includes(after), 600)).toBeUndefined();
    const events = ap.app.store.events.recent(50);
    expect(events.filter((e) => e.kind === 'sip.auth.failed').length).toBeGreaterThanOrEqual(5);
    expect(events.some((e) => e.kind === 'sip.ban' && e.message.includes('127.0.60.23'))).toBe(true);
    expect(ap.app.store.bans.active().map((b) => b.address)).toContain('127.0.60.23');
    // The admin lifts it (the web UI and CLI remove it from the store, then workers reload).
    ap.app.store.bans.remove('127.0.60.23');
    ap.app.sip.service.sourceGuard.sync(ap.app.store.bans.active());
    expect(statusOf((await registerWithDigest(guesser, '203')).final)).toBe(200);
  });

  test('4b. a working phone that re-registers often is never banned', async () => {
    const phone = await peer('127.0.60.12');
    for (let i = 0; i < 30; i++) expect(statusOf((await registerWithDigest(phone, '201')).final)).toBe(200);
    expect(ap.app.store.bans.active().map((b) => b.address)).not.toContain('127.0.60.12');
  });

  test('5. a stranger calling an extension with a spoofed caller ID is challenged; OPTIONS and INVITE answers do not reveal which extensions exist', async () => {
    const callee = ap.app.sip.location.bindings(`sip:202@${REALM}`)[0];
    expect(callee).toBeDefined();
    const stranger = await peer('127.0.60.24');
    const spoof = invite(stranger, `sip:202@${REALM}`, { from: '"Reception 202" <sip:202@evil.example>' });
    stranger.send(spoof.text, ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(spoof.callId)))).toBe(407);
    const shape = (m: string) => m.replace(/\r\n(Via|To|From|Call-ID|CSeq|Proxy-Authenticate|WWW-Authenticate): [^\r]*/g, '').split('\r\n')[0];
    const answers: string[] = [];
    for (const method of ['OPTIONS', 'INVITE']) {
      for (const ext of ['202', '203', '299']) { // registered, not registered, unknown
        const callId = id(`enum-${method}-${ext}`);
        stranger.send(sipMessage(`${method} sip:${ext}@${REALM} SIP/2.0`, [
          `Via: SIP/2.0/UDP ${stranger.hostPort};rport;branch=z9hG4bK-${callId}`, 'Max-Forwards: 70', `From: <sip:scan@evil.example>;tag=${callId}`,
          `To: <sip:${ext}@${REALM}>`, `Call-ID: ${callId}`, `CSeq: 1 ${method}`,
        ]), ap.port, HOST);
        const res = await stranger.waitFor((m) => m.includes(callId));
        answers.push(`${method} ${shape(res!)} ${res!.split('\r\n').filter((l) => /^(Proxy|WWW)-Authenticate/.test(l)).length}`);
      }
    }
    expect(new Set(answers.slice(0, 3)).size).toBe(1);
    expect(new Set(answers.slice(3)).size).toBe(1);
    expect(answers[0]).toContain('407');
  });

  test('5b. an authenticated caller is asserted by us: its own P-Asserted-Identity is replaced (RFC 3325)', async () => {
    const callee = await peer('127.0.60.13');
    expect(statusOf((await registerWithDigest(callee, '203')).final)).toBe(200);
    const caller = await peer('127.0.60.14');
    const extra = ['P-Asserted-Identity: "The CEO" <sip:100@office.lan>', 'Content-Type: application/sdp'];
    const first = invite(caller, `sip:203@${REALM}`, { from: `<sip:201@${REALM}>`, extra });
    caller.send(first.text, ap.port, HOST);
    const challenge = await caller.waitFor((m) => m.includes(first.callId) && statusOf(m) === 407);
    const nonce = challengeField(challenge!, 'nonce')!;
    const auth = digestAnswer({ user: '201', realm: REALM, password: PW['201'], method: 'INVITE', uri: `sip:203@${REALM}`, nonce });
    const second = invite(caller, `sip:203@${REALM}`, { from: `<sip:201@${REALM}>`, callId: first.callId, extra: [...extra, `Proxy-Authorization: ${auth}`] });
    caller.send(second.text.replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE'), ap.port, HOST);
    const relayed = await callee.waitFor((m) => m.startsWith('INVITE') && m.includes(first.callId));
    expect(relayed).toBeDefined();
    expect(relayed).toMatch(/P-Asserted-Identity: <sip:201@office\.lan>/i);
    expect(relayed).not.toContain('The CEO');
    expect(relayed).toMatch(/Record-Route: +<sip:[^>]+;lr;dlg=[0-9a-f]{20}>/);
  });

  test('6. replies go to the packet source, not a client-chosen received=; one INVITE draws one 407, not a retransmission storm', async () => {
    const sender = await peer('127.0.60.25');
    const victim = await peer('127.0.60.26');
    const callId = id('reflect');
    sender.send(sipMessage(`INVITE sip:202@${REALM} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${sender.hostPort};received=${victim.address};branch=z9hG4bK-${callId}`, 'Max-Forwards: 70',
      `From: <sip:x@evil.example>;tag=${callId}`, `To: <sip:202@${REALM}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
    ]), ap.port, HOST);
    await Bun.sleep(2600); // Timer G would have retransmitted at 0.5, 1.5 and 3.5 s (T1 doubling)
    expect(sender.inbox.filter((m) => m.includes(callId)).length).toBe(1);
    expect(victim.inbox).toHaveLength(0);
  });

  test('6b. a forged "200 OK" that matches no transaction is dropped, not relayed', async () => {
    const forger = await peer('127.0.60.27');
    const victim = await peer('127.0.60.28');
    forger.send(sipMessage('SIP/2.0 200 OK', [
      `Via: SIP/2.0/UDP ${HOST}:${ap.port};branch=z9hG4bK-nothing-of-ours`, `Via: SIP/2.0/UDP ${victim.hostPort};branch=z9hG4bK-v`,
      `From: <sip:a@${REALM}>;tag=1`, `To: <sip:b@${REALM}>;tag=2`, 'Call-ID: stray-200', 'CSeq: 1 INVITE',
    ]), ap.port, HOST);
    await Bun.sleep(300);
    expect(victim.inbox).toHaveLength(0);
  });

  test('7. an ACK without a To tag is absorbed silently (no sip.error in the event log)', async () => {
    const p = await peer('127.0.60.29');
    const before = ap.app.store.events.recent(200).filter((e) => e.kind === 'sip.error').length;
    p.send(sipMessage(`ACK sip:202@${REALM} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${p.hostPort};branch=z9hG4bK-${id('ack')}`, 'Max-Forwards: 70', `From: <sip:x@evil.example>;tag=1`,
      `To: <sip:202@${REALM}>`, 'Call-ID: ack-no-tag', 'CSeq: 1 ACK',
    ]), ap.port, HOST);
    await Bun.sleep(200);
    expect(ap.app.store.events.recent(200).filter((e) => e.kind === 'sip.error').length).toBe(before);
    expect(p.inbox).toHaveLength(0);
  });

  test('12. an extension cannot take over another extension\'s contact from another flow', async () => {
    const held = ap.app.sip.location.bindings(`sip:202@${REALM}`)[0];
    const attacker = await peer('127.0.60.15');
    const r = await registerWithDigest(attacker, '201', PW['201'], { contact: held.contact });
    expect(statusOf(r.final)).toBe(403);
    expect(r.final).toContain('Contact in use by another extension');
  });
});
