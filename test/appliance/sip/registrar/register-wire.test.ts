import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { challengeField, digestAnswer, sipMessage, SipUdpPeer, statusOf } from '../../../support/sip-udp-peer.ts';

/**
 * REGISTER on the wire (issue 11): `Contact: *` with `Expires: 0` (RFC 3261 §10.2.2) and the
 * digest offer per extension and phone (RFC 8760), against a real connection control section
 * on 127.0.70.1; phones are hand-driven UDP endpoints on 127.0.70.10-.19.
 */
const HOST = '127.0.70.1';
const REALM = 'office.lan';
const PW: Record<string, string> = { '211': 'Delta-Pass-211', '212': 'Echo-Pass-212', '213': 'Foxtrot-Pass-213' };
let ap: TestAppliance;
const peers: SipUdpPeer[] = [];
let seq = 0;
const id = (what: string) => `${what}-${++seq}-${Date.now()}`;

async function peer(address: string): Promise<SipUdpPeer> {
  const p = await SipUdpPeer.open(address);
  peers.push(p);
  return p;
}

interface Reg { contact?: string[]; expires?: string; agent?: string; auth?: string }

function register(p: SipUdpPeer, ext: string, callId: string, cseq: number, r: Reg): string {
  return sipMessage(`REGISTER sip:${REALM} SIP/2.0`, [
    `Via: SIP/2.0/UDP ${p.hostPort};rport;branch=z9hG4bK-${id('r')}`, 'Max-Forwards: 70',
    `From: <sip:${ext}@${REALM}>;tag=${callId}`, `To: <sip:${ext}@${REALM}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
    ...(r.contact ?? [`<sip:${ext}@${p.hostPort}>`]).map((c) => `Contact: ${c}`),
    ...(r.expires !== undefined ? [`Expires: ${r.expires}`] : []),
    ...(r.agent ? [`User-Agent: ${r.agent}`] : []),
    ...(r.auth ? [`Authorization: ${r.auth}`] : []),
  ]);
}

/** Sends one REGISTER and waits for its final response. */
async function send(p: SipUdpPeer, ext: string, callId: string, cseq: number, r: Reg): Promise<string> {
  p.send(register(p, ext, callId, cseq, r), ap.port, HOST);
  const m = await p.waitFor((x) => x.includes(callId) && x.includes(`CSeq: ${cseq} REGISTER`) && statusOf(x)! >= 200);
  if (!m) throw new Error(`no answer to REGISTER ${callId}/${cseq}`);
  return m;
}

/** The algorithms in a 401's WWW-Authenticate headers, in order. */
const offered = (m: string) => [...m.matchAll(/^WWW-Authenticate:.*algorithm=([A-Z0-9-]+)/gim)].map((x) => x[1]);

/** REGISTER → 401 → answer in `algorithm` (its nonce); returns the challenge and the final response. */
async function registerWith(p: SipUdpPeer, ext: string, algorithm: 'MD5' | 'SHA-256', r: Reg = {}) {
  const callId = id('reg');
  const challenge = await send(p, ext, callId, 1, r);
  const nonce = challengeField(challenge, 'nonce')!;
  const auth = digestAnswer({ user: ext, realm: REALM, password: PW[ext], method: 'REGISTER', uri: `sip:${REALM}`, nonce, algorithm });
  const final = await send(p, ext, callId, 2, { ...r, auth });
  return { challenge, final, callId, auth };
}

beforeAll(async () => {
  ap = await startTestAppliance(HOST);
  for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
});
afterAll(async () => {
  for (const p of peers) p.close();
  await ap?.stop();
});

describe('Contact: * with Expires: 0 removes every binding (RFC 3261 §10.2.2)', () => {
  test('two phones registered, then one REGISTER with Contact: * → 200 without Contact, no binding left', async () => {
    const desk = await peer('127.0.70.10');
    const soft = await peer('127.0.70.11');
    expect(statusOf((await registerWith(desk, '211', 'MD5', { expires: '600' })).final)).toBe(200);
    const second = await registerWith(soft, '211', 'MD5', { expires: '600' });
    expect(statusOf(second.final)).toBe(200);
    expect(ap.app.sip.location.bindings(`sip:211@${REALM}`)).toHaveLength(2);

    const callId = id('unreg');
    const challenge = await send(soft, '211', callId, 1, { contact: ['*'], expires: '0' });
    expect(statusOf(challenge)).toBe(401); // removing bindings needs the password too
    const auth = digestAnswer({ user: '211', realm: REALM, password: PW['211'], method: 'REGISTER', uri: `sip:${REALM}`, nonce: challengeField(challenge, 'nonce')! });
    const done = await send(soft, '211', callId, 2, { contact: ['*'], expires: '0', auth });
    expect(statusOf(done)).toBe(200);
    expect(done).not.toMatch(/^Contact:/im);
    expect(ap.app.sip.location.bindings(`sip:211@${REALM}`)).toEqual([]);
    ap.app.sip.location.flush();
    expect(ap.app.store.registrations.loadActive().filter((b) => b.aor === `sip:211@${REALM}`)).toEqual([]);
  });
  const bad: [string, Reg][] = [
    ['Contact: * without Expires', { contact: ['*'] }],
    ['Contact: * with Expires: 60', { contact: ['*'], expires: '60' }],
    ['Contact: * next to another contact', { contact: ['*', '<sip:211@127.0.70.12:5060>'], expires: '0' }],
  ];
  for (const [name, r] of bad) {
    test(`${name} → 400 (§10.3 step 6), bindings kept`, async () => {
      const p = await peer('127.0.70.12');
      expect(statusOf((await registerWith(p, '211', 'MD5', { expires: '600' })).final)).toBe(200);
      const before = ap.app.sip.location.bindings(`sip:211@${REALM}`).length;
      const callId = id('bad');
      const challenge = await send(p, '211', callId, 1, r);
      // Refused before or after the challenge; never a 416 "Bad Contact" and never a removal.
      const final = statusOf(challenge) === 401
        ? await send(p, '211', callId, 2, { ...r, auth: digestAnswer({ user: '211', realm: REALM, password: PW['211'], method: 'REGISTER', uri: `sip:${REALM}`, nonce: challengeField(challenge, 'nonce')! }) })
        : challenge;
      expect(statusOf(final)).toBe(400);
      expect(ap.app.sip.location.bindings(`sip:211@${REALM}`)).toHaveLength(before);
    });
  }
});

describe('digest offer per extension and phone (RFC 8760, issue 11)', () => {
  test('the default: one MD5 challenge, and an MD5 answer registers', async () => {
    const p = await peer('127.0.70.13');
    const r = await registerWith(p, '212', 'MD5');
    expect(offered(r.challenge)).toEqual(['MD5']);
    expect(statusOf(r.final)).toBe(200);
  });
  test('a SHA-256 answer to an MD5-only challenge is not accepted (verified against the offer)', async () => {
    const p = await peer('127.0.70.13');
    const r = await registerWith(p, '212', 'SHA-256');
    expect(statusOf(r.final)).toBe(401);
  });
  test('per extension: sha-256 → only a SHA-256 challenge; its answer registers; an MD5 answer does not', async () => {
    ap.app.store.extensions.update('213', { digest: 'sha-256' });
    const p = await peer('127.0.70.14');
    const md5 = await registerWith(p, '213', 'MD5');
    expect(offered(md5.challenge)).toEqual(['SHA-256']);
    expect(statusOf(md5.final)).toBe(401);
    const sha = await registerWith(p, '213', 'SHA-256');
    expect(statusOf(sha.final)).toBe(200);
  });
  test('learnt: with "both", a phone that answers SHA-256 gets SHA-256 only next time; another model still gets both', async () => {
    ap.app.store.extensions.update('213', { digest: 'both' });
    const linphone = await peer('127.0.70.15');
    const first = await registerWith(linphone, '213', 'SHA-256', { agent: 'Linphone/5.2.0 (belle-sip/5.2.0)' });
    expect(offered(first.challenge)).toEqual(['SHA-256', 'MD5']);
    expect(statusOf(first.final)).toBe(200);
    expect(ap.app.store.extensions.learntSha256('213')).toEqual(['linphone']);
    const again = await registerWith(linphone, '213', 'MD5', { agent: 'Linphone/5.3.0 (belle-sip/5.3.0)' });
    expect(offered(again.challenge)).toEqual(['SHA-256']);
    expect(statusOf(again.final)).toBe(401); // an MD5 answer from that phone model is no longer taken
    const desk = await peer('127.0.70.16');
    const other = await registerWith(desk, '213', 'MD5', { agent: 'Yealink SIP-T46S 66.86.0.15' });
    expect(offered(other.challenge)).toEqual(['SHA-256', 'MD5']);
    expect(statusOf(other.final)).toBe(200);
  });
});
