import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Authenticator } from '../../../../appliance/sip/auth/authenticator.ts';
import { NonceIssuer } from '../../../../appliance/sip/auth/digest.ts';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { SipRequest } from '../../../../appliance/sip/message/types.ts';
import type { ExtensionRecord } from '../../../../system/store/index.ts';

/**
 * Authenticator.check on real REGISTER / INVITE bytes carrying Authorization or
 * Proxy-Authorization (RFC 3261 §22.2-22.4). The phone's answer is computed here with
 * node:crypto and the RFC 2617 §3.2.2.1 formula, independently of the code under test.
 */
const NOW = 1_700_000_000_000;
const REALM = 'office.lan';
const PASSWORD = 'Gr33n-Phone-201';
const nonces = new NonceIssuer('shared-secret', REALM, 300);
/** The phone's address (a string only: nothing is sent). */
const ADDR = '192.0.2.10';

const H = (alg: 'MD5' | 'SHA-256', s: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');
const EXT: ExtensionRecord = {
  number: '201', displayName: 'Reception', realm: REALM, e164: null, digest: 'default', createdAt: 0, updatedAt: 0,
  callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null,
  ha1Md5: H('MD5', `201:${REALM}:${PASSWORD}`), ha1Sha256: H('SHA-256', `201:${REALM}:${PASSWORD}`),
};
const auth = new Authenticator(nonces, REALM, (u) => (u === '201' ? EXT : u === '205' ? { ...EXT, number: '205', realm: 'old.lan' } : undefined), ['MD5', 'SHA-256'],
  (host) => host === '192.0.2.1');

const REGISTER = readFileSync(join(import.meta.dir, '../../../fixtures/sip/register-compact.sip'), 'latin1');
const INVITE = readFileSync(join(import.meta.dir, '../../../fixtures/sip/invite-routed.sip'), 'latin1');

interface Answer {
  user?: string; password?: string; realm?: string; nonce?: string; algorithm?: string; qop?: 'auth' | 'auth-int' | null;
  method?: string; uri?: string; header?: 'Authorization' | 'Proxy-Authorization'; upper?: boolean; omit?: string;
}

/** A header line as a phone writes it, with the response from the RFC formula. */
function credentials(a: Answer, defaults: { method: string; uri: string }): string {
  const user = a.user ?? '201';
  const realm = a.realm ?? REALM;
  const nonce = a.nonce ?? nonces.issue(ADDR, NOW);
  const alg = (a.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5';
  const uri = a.uri ?? defaults.uri;
  const qop = a.qop === undefined ? 'auth' : a.qop;
  const ha1 = H(alg, `${user}:${realm}:${a.password ?? PASSWORD}`);
  const ha2 = H(alg, `${a.method ?? defaults.method}:${uri}`);
  let response = qop ? H(alg, `${ha1}:${nonce}:00000001:0a4f113b:${qop}:${ha2}`) : H(alg, `${ha1}:${nonce}:${ha2}`);
  if (a.upper) response = response.toUpperCase();
  const fields: [string, string][] = [
    ['username', `"${user}"`], ['realm', `"${realm}"`], ['nonce', `"${nonce}"`], ['uri', `"${uri}"`], ['response', `"${response}"`],
    ...(a.algorithm !== undefined ? [['algorithm', a.algorithm] as [string, string]] : []),
    ...(qop ? [['qop', qop], ['nc', '00000001'], ['cnonce', '"0a4f113b"']] as [string, string][] : []),
  ];
  return `${a.header ?? 'Authorization'}: Digest ${fields.filter(([k]) => k !== a.omit).map(([k, v]) => `${k}=${v}`).join(', ')}`;
}

function register(...answers: Answer[]): SipRequest {
  const lines = answers.map((a) => credentials(a, { method: 'REGISTER', uri: 'sip:office.lan' }) + '\r\n').join('');
  const d = decodeMessage(REGISTER.replace('CSeq: 1 REGISTER\r\n', `CSeq: 1 REGISTER\r\n${lines}`));
  if (d.kind !== 'request') throw new Error(`fixture did not decode: ${JSON.stringify(d)}`);
  return d.msg;
}

function invite(a: Answer): SipRequest {
  const line = credentials({ header: 'Proxy-Authorization', ...a }, { method: 'INVITE', uri: 'sip:202@192.168.1.22:5060;transport=udp' });
  const d = decodeMessage(INVITE.replace('CSeq: 2 INVITE\r\n', `CSeq: 2 INVITE\r\n${line}\r\n`));
  if (d.kind !== 'request') throw new Error('fixture did not decode');
  return d.msg;
}

describe('Authenticator.check on REGISTER (Authorization, 401)', () => {
  const ok = { kind: 'ok', user: '201', extension: EXT };
  const challenge = { kind: 'challenge', stale: false };
  const forbidden = { kind: 'forbidden' };
  const rows: [string, Answer[], object, number?][] = [
    ['no credentials: challenge (§22.1)', [], challenge],
    ['right MD5 answer, qop=auth', [{}], ok],
    ['right MD5 answer, algorithm=MD5 given', [{ algorithm: 'MD5' }], ok],
    ['right MD5 answer, lower-case algorithm token', [{ algorithm: 'md5' }], ok],
    ['right MD5 answer without qop (RFC 2069 style)', [{ qop: null }], ok],
    ['right SHA-256 answer (RFC 8760)', [{ algorithm: 'SHA-256' }], ok],
    ['upper-case hex response', [{ upper: true }], ok],
    ['wrong password', [{ password: 'Wr0ng-Password' }], forbidden],
    ['wrong password, SHA-256', [{ algorithm: 'SHA-256', password: 'Wr0ng-Password' }], forbidden],
    ['unknown user: same answer as a wrong password', [{ user: '299' }], forbidden],
    ['extension stored under another realm', [{ user: '205' }], forbidden],
    ['answer computed for another method', [{ method: 'INVITE' }], forbidden],
    ['old nonce, right password: challenge again with stale=true (§22.4)', [{ nonce: nonces.issue(ADDR, NOW - 400_000) }], { kind: 'challenge', stale: true }],
    ['old nonce, wrong password: forbidden', [{ nonce: nonces.issue(ADDR, NOW - 400_000), password: 'Wr0ng-Password' }], forbidden],
    ['a nonce we never issued: fresh challenge', [{ nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093' }], challenge],
    ['credentials for another realm only: challenge for ours (§22.3)', [{ realm: 'carrier.example' }], challenge],
    ['another realm first, then ours', [{ realm: 'carrier.example' }, {}], ok],
    ['unsupported algorithm', [{ algorithm: 'SHA-512-256' }], forbidden],
    ['qop=auth-int (not offered)', [{ qop: 'auth-int' }], forbidden],
    ['qop without cnonce', [{ omit: 'cnonce' }], forbidden],
    ['no response', [{ omit: 'response' }], forbidden],
    ['Proxy-Authorization on a REGISTER is not for the registrar', [{ header: 'Proxy-Authorization' }], challenge],
    ['digest uri is not the Request-URI (RFC 2617 §3.2.2.5): 400', [{ uri: 'sip:totally-different.example' }], { kind: 'forbidden', status: 400, failure: true }],
    ['digest uri names the Request-URI with another host case and the default port', [{ uri: 'sip:OFFICE.LAN:5060' }], ok],
    ['a nonce issued to another address: fresh challenge (no replay from elsewhere)', [{ nonce: nonces.issue('192.0.2.99', NOW) }], challenge],
    ['digest uri naming this appliance (sipp does this) is accepted', [{ uri: 'sip:192.0.2.1:5060' }], ok],
    ['digest uri naming this appliance with a user part is not', [{ uri: 'sip:999@192.0.2.1:5060' }], { kind: 'forbidden', status: 400 }],
    ['wrong password counts as a failure', [{ password: 'Wr0ng-Password' }], { kind: 'forbidden', status: 403, failure: true }],
  ];
  for (const [name, answers, expected] of rows) {
    test(name, () => expect(auth.check(register(...answers), false, ADDR, NOW)).toMatchObject(expected));
  }
  // sipp 3.6 over IPv6 writes `sip:` + address + `:` + port with the address bare (RFC 5118 wants brackets).
  const ours6 = new Authenticator(nonces, REALM, (u) => (u === '201' ? EXT : undefined), ['MD5'], (host) => host === '[2001:db8::1]');
  const rows6: [string, string, object][] = [
    ['digest uri naming our IPv6 address in brackets is accepted', 'sip:[2001:db8::1]:5060', ok],
    ['... and unbracketed with a port, as sipp writes it', 'sip:2001:db8::1:5060', ok],
    ['... and unbracketed without a port', 'sip:2001:db8::1', ok],
    ['an unbracketed IPv6 address that is not ours is not', 'sip:2001:db8::2:5060', { kind: 'forbidden', status: 400 }],
    ['an unbracketed address of ours with a user part is not', 'sip:999@2001:db8::1:5060', { kind: 'forbidden', status: 400 }],
  ];
  for (const [name, uri, expected] of rows6) {
    test(name, () => expect(ours6.check(register({ uri }), false, ADDR, NOW)).toMatchObject(expected));
  }
  test('the SHA-256 row really used SHA-256: the MD5 HA1 does not verify it', () => {
    const md5Only = new Authenticator(nonces, REALM, () => ({ ...EXT, ha1Sha256: EXT.ha1Md5 }));
    expect(md5Only.check(register({ algorithm: 'SHA-256' }), false, ADDR, NOW)).toMatchObject({ kind: 'forbidden' });
  });
});

describe('Authenticator.check: replay and algorithms (issue 10)', () => {
  test('the same credentials twice: the second is challenged again (nonce count, RFC 7616 §3.4)', () => {
    const a = new Authenticator(nonces, REALM, (u) => (u === '201' ? EXT : undefined));
    const nonce = nonces.issue(ADDR, NOW);
    expect(a.check(register({ nonce }), false, ADDR, NOW)).toEqual({ kind: 'ok', user: '201', extension: EXT });
    expect(a.check(register({ nonce }), false, ADDR, NOW + 10)).toEqual({ kind: 'challenge', stale: true });
  });
  test('without qop a nonce is single-use', () => {
    const a = new Authenticator(nonces, REALM, (u) => (u === '201' ? EXT : undefined));
    const nonce = nonces.issue(ADDR, NOW);
    expect(a.check(register({ nonce, qop: null }), false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
    expect(a.check(register({ nonce, qop: null }), false, ADDR, NOW)).toMatchObject({ kind: 'challenge' });
  });
  test('the captured header re-sent from another host: challenged, not accepted', () => {
    const a = new Authenticator(nonces, REALM, (u) => (u === '201' ? EXT : undefined));
    const req = register({});
    expect(a.check(req, false, '192.0.2.66', NOW)).toEqual({ kind: 'challenge', stale: false });
  });
  test('only the algorithms offered with the nonce are accepted on verify (RFC 8760 §2.4)', () => {
    const sha = nonces.issue(ADDR, NOW, ['SHA-256']);
    expect(auth.check(register({ nonce: sha }), false, ADDR, NOW)).toEqual({ kind: 'challenge', stale: false });
    expect(auth.check(register({ nonce: sha, algorithm: 'SHA-256' }), false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
    const md5 = nonces.issue(ADDR, NOW, ['MD5']);
    expect(auth.check(register({ nonce: md5, algorithm: 'SHA-256' }), false, ADDR, NOW)).toEqual({ kind: 'challenge', stale: false });
    expect(auth.check(register({ nonce: md5 }), false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
  });
  test('a phone that answers both challenges is verified with the one offered', () => {
    const nonce = nonces.issue(ADDR, NOW, ['SHA-256']);
    expect(auth.check(register({ nonce }, { nonce, algorithm: 'SHA-256' }), false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
  });
});

describe('digest offer per extension and phone (issue 11)', () => {
  /** An authenticator over one extension with a policy, learning into a Map like the store does. */
  function setup(digest: ExtensionRecord['digest'], defaults: ('MD5' | 'SHA-256')[] = ['MD5'], joint = false) {
    const learnt = new Map<string, string[]>();
    const reads = { lookup: 0, learnt: 0, joint: 0 };
    const ext = (u: string) => (u === '201' ? { ...EXT, digest } : undefined);
    const a = new Authenticator(nonces, REALM, (u) => (reads.lookup++, ext(u)), defaults, () => false, {
      learnt: (n) => (reads.learnt++, learnt.get(n) ?? []),
      learn: (n, agent) => learnt.set(n, [...(learnt.get(n) ?? []), agent]),
      // The store's one-statement read (ExtensionsStore.withLearnt), when wired (start-sip.ts).
      ...(joint ? { withLearnt: (u: string) => (reads.joint++, ext(u) && { ext: ext(u)!, learnt: learnt.get(u) ?? [] }) } : {}),
    });
    return { a, learnt, reads };
  }
  const offer = (a: Authenticator, agent = 'Linphone/5.2.0') => a.challenge(false, ADDR, { user: '201', agent }, NOW).map((c) => c.algorithm);
  const rows: [string, ExtensionRecord['digest'], ('MD5' | 'SHA-256')[], string[]][] = [
    ['default policy, default config: MD5 only (baresip 1.0 fails on SHA-256)', 'default', ['MD5'], ['MD5']],
    ['default policy follows [sip] auth_algorithms', 'default', ['SHA-256', 'MD5'], ['SHA-256', 'MD5']],
    ['md5', 'md5', ['SHA-256', 'MD5'], ['MD5']],
    ['both: SHA-256 first', 'both', ['MD5'], ['SHA-256', 'MD5']],
    ['sha-256 only', 'sha-256', ['MD5'], ['SHA-256']],
  ];
  for (const [name, policy, defaults, expected] of rows) test(name, () => expect(offer(setup(policy, defaults).a)).toEqual(expected));
  for (const [name, policy, defaults, expected] of rows) {
    test(`${name} (extension and learnt read together)`, () => expect(offer(setup(policy, defaults, true).a)).toEqual(expected));
  }
  test('with withLearnt the offer is one read: neither lookup nor learnt is called', () => {
    const { a, learnt, reads } = setup('both', ['MD5'], true);
    learnt.set('201', ['linphone']);
    expect(offer(a, 'Linphone/5.3.1')).toEqual(['SHA-256']);
    expect(offer(a, 'baresip v1.0.0 (x86_64/linux)')).toEqual(['SHA-256', 'MD5']);
    expect(a.challenge(false, ADDR, { user: '299' }, NOW).map((c) => c.algorithm)).toEqual(['MD5']);
    expect(reads).toEqual({ lookup: 0, learnt: 0, joint: 3 });
  });
  test('an unknown extension gets the default offer (no enumeration)', () => {
    const { a } = setup('sha-256');
    expect(a.challenge(false, ADDR, { user: '299' }, NOW).map((c) => c.algorithm)).toEqual(['MD5']);
  });
  test('learnt: a phone that answered SHA-256 gets SHA-256 only from then on; another phone model does not', () => {
    const { a, learnt } = setup('both');
    const nonce = a.challenge(false, ADDR, { user: '201', agent: 'Linphone/5.2.0' }, NOW)[0].nonce.slice(1, -1);
    const req = register({ nonce, algorithm: 'SHA-256' });
    req.headers['user-agent'] = 'Linphone/5.2.0 (belle-sip/5.2.0)';
    expect(a.check(req, false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
    expect(learnt.get('201')).toEqual(['linphone']);
    expect(offer(a, 'Linphone/5.3.1')).toEqual(['SHA-256']);
    expect(offer(a, 'baresip v1.0.0 (x86_64/linux)')).toEqual(['SHA-256', 'MD5']);
  });
  test('learnt is not recorded for an MD5 answer, and md5 overrides what was learnt', () => {
    const { a, learnt } = setup('both');
    const nonce = nonces.issue(ADDR, NOW, ['SHA-256', 'MD5']);
    expect(a.check(register({ nonce }), false, ADDR, NOW)).toMatchObject({ kind: 'ok' });
    expect(learnt.size).toBe(0);
    const md5 = setup('md5');
    md5.learnt.set('201', ['linphone']);
    expect(offer(md5.a)).toEqual(['MD5']);
  });
  test('an MD5 answer to a SHA-256-only offer is refused (a downgrade is not accepted)', () => {
    const { a } = setup('sha-256');
    const nonce = a.challenge(false, ADDR, { user: '201' }, NOW)[0].nonce.slice(1, -1);
    expect(a.check(register({ nonce }), false, ADDR, NOW)).toEqual({ kind: 'challenge', stale: false });
  });
});

describe('Authenticator.check on INVITE (Proxy-Authorization, 407)', () => {
  test('right answer → ok', () => expect(auth.check(invite({}), true, ADDR, NOW)).toEqual({ kind: 'ok', user: '201', extension: EXT }));
  test('Authorization instead of Proxy-Authorization → challenge', () => {
    expect(auth.check(invite({ header: 'Authorization' }), true, ADDR, NOW)).toEqual({ kind: 'challenge', stale: false });
  });
  test('consume removes our realm only, before forwarding (§22.3)', () => {
    const req = invite({});
    req.headers['proxy-authorization'].push({ scheme: 'Digest', realm: '"carrier.example"', username: '"x"' });
    auth.consume(req);
    expect(req.headers['proxy-authorization']).toEqual([{ scheme: 'Digest', realm: '"carrier.example"', username: '"x"' }]);
    const only = invite({});
    auth.consume(only);
    expect(only.headers['proxy-authorization']).toBeUndefined();
  });
});

describe('Authenticator.challenge', () => {
  test('one challenge per configured algorithm, in the configured order (RFC 8760 §2.4)', () => {
    for (const order of [['SHA-256', 'MD5'], ['MD5', 'SHA-256'], ['SHA-256']] as const) {
      const a = new Authenticator(nonces, REALM, () => undefined, order);
      expect(a.challenge(false, ADDR, {}, NOW).map((c) => c.algorithm)).toEqual([...order]);
    }
  });
  test('fields: quoted realm and nonce, qop="auth", stale only when asked', () => {
    const [fresh] = auth.challenge(false, ADDR, {}, NOW);
    expect(fresh).toEqual({ scheme: 'Digest', realm: '"office.lan"', nonce: expect.stringMatching(/^"[0-9a-f]+\.[0-9a-f]{8}\.[0-3]\.[0-9a-f]{24}"$/), algorithm: 'MD5', qop: '"auth"' });
    expect(nonces.check(fresh.nonce.slice(1, -1), ADDR, NOW)).toBe('fresh');
    expect(auth.challenge(true, ADDR, {}, NOW).every((c) => c.stale === 'true')).toBe(true);
  });
  test('a phone answering the challenge is accepted', () => {
    const nonce = auth.challenge(false, ADDR, {}, NOW)[0].nonce.slice(1, -1);
    expect(auth.check(register({ nonce }), false, ADDR, NOW + 1000)).toEqual({ kind: 'ok', user: '201', extension: EXT });
  });
});
