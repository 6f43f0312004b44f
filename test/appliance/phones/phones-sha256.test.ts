import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import type { DigestPolicy } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { startBaresip } from '../../support/baresip.ts';
import { startLinphone, type LinphonePhone } from '../../support/linphone.ts';
import { freePort, runSipp, SCENARIOS } from '../../support/sipp.ts';
import { challengeField, digestAnswer, sipMessage, SipUdpPeer, statusOf } from '../../support/sip-udp-peer.ts';

/**
 * Which real clients register with each digest policy of their extension (RFC 8760 SHA-256;
 * appliance/sip/auth/digest-offer.ts), set through the real ExtensionService as the API and
 * CLI do. What was measured (Debian 12 packages), asserted so a change in a client or in our
 * offer shows up here:
 * - baresip 1.0: registers on `default`/`md5`; on `both` and `sha-256` it gives up at the
 *   401 ("Register: Function not implemented"), even with an MD5 challenge next to SHA-256.
 * - linphonec 5.1: registers on every policy; answers MD5 when only MD5 is offered, SHA-256
 *   whenever it is offered (also on `both`, so it is then learnt).
 * - sipp 3.6: registers on `default`/`md5`; answers only the first challenge and stops on
 *   SHA-256 ("createAuthHeader: authentication must use MD5 or AKAv1-MD5").
 * Appliance on 127.0.150.70, clients on 127.0.150.71-75.
 */
const HOST = '127.0.150.70';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = {
  '411': 'Sha-Digest-Pass-411', '412': 'Sha-Digest-Pass-412', '413': 'Sha-Digest-Pass-413', '414': 'Sha-Digest-Pass-414',
};
const hasClients = requireTool('baresip') && requireTool('linphonec') && requireTool('sipp');
const POLICIES: readonly DigestPolicy[] = ['default', 'md5', 'both', 'sha-256'];

/** What a client did with one policy: registered (and in which algorithm), or its failure line. */
interface Outcome { readonly registered: boolean; readonly algorithm?: string; readonly line?: string; readonly offered?: string[] }

const BARESIP_FAILS = /reg: sip:411@office\.lan: Register: Function not implemented/;
const SIPP_FAILS = /createAuthHeader: authentication must use MD5 or AKAv1-MD5/;
/** The measured truth, client × policy. */
const EXPECTED: Record<'baresip' | 'linphonec' | 'sipp', Record<DigestPolicy, { registered: boolean; algorithm?: string; line?: RegExp }>> = {
  baresip: { default: { registered: true }, md5: { registered: true }, both: { registered: false, line: BARESIP_FAILS }, 'sha-256': { registered: false, line: BARESIP_FAILS } },
  linphonec: { default: { registered: true, algorithm: 'MD5' }, md5: { registered: true, algorithm: 'MD5' }, both: { registered: true, algorithm: 'SHA-256' }, 'sha-256': { registered: true, algorithm: 'SHA-256' } },
  sipp: { default: { registered: true }, md5: { registered: true }, both: { registered: false, line: SIPP_FAILS }, 'sha-256': { registered: false, line: SIPP_FAILS } },
};
/** What each policy offers in the 401 (most preferred first, RFC 8760 §2.4), read from linphonec's log. */
const OFFER: Record<DigestPolicy, string[]> = { default: ['MD5'], md5: ['MD5'], both: ['SHA-256', 'MD5'], 'sha-256': ['SHA-256'] };

let ap: TestAppliance;
let service: ExtensionService;
const stops: (() => Promise<void>)[] = [];

const bindings = (ext: string) => ap.app.sip.location.bindings(`sip:${ext}@${DOMAIN}`);

/** Waits (bounded) until an extension has no binding left: the previous client unregistered. */
async function noBindings(ext: string): Promise<void> {
  const end = Date.now() + 3000;
  while (bindings(ext).length > 0 && Date.now() < end) await Bun.sleep(50);
  expect(bindings(ext)).toEqual([]);
}

/** The first line of `log` matching `re` (the client's own words for the table). */
const lineOf = (log: string, re: RegExp) => log.split('\n').find((l) => re.test(l))?.replace(/\x1b\[[0-9;]*m/g, '').trim();

async function tryBaresip(): Promise<Outcome> {
  const ip = '127.0.150.71';
  const p = startBaresip({ ip, port: await freePort(ip), user: '411', password: PW['411'], domain: DOMAIN, proxy: `${HOST}:${ap.port}` });
  stops.push(() => p.stop());
  const m = await p.waitFor(/200 OK .*\[\d+ bindings?\]|reg: [^\n]*/, 8000);
  return { registered: m[0].includes('200 OK'), line: lineOf(p.log(), /reg: |200 OK/) };
}

function linphoneOutcome(p: LinphonePhone, from = 0): Outcome {
  const log = p.log().slice(from);
  const auth = log.match(/^Authorization: +Digest [^\n]*algorithm=([A-Z0-9-]+)/m);
  const offered = [...(log.split(/^REGISTER /m)[1] ?? log).matchAll(/^WWW-Authenticate: Digest [^\n]*algorithm=([A-Z0-9-]+)/gm)].map((x) => x[1]);
  const ok = /moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistrationOk\]/.test(log);
  return { registered: ok, algorithm: auth?.[1], offered, line: lineOf(log, /LinphoneRegistration(Ok|Failed)\]/) };
}

async function startLinphonec(user: string, ip: string): Promise<LinphonePhone> {
  const p = startLinphone({ ip, port: await freePort(ip), rtpPort: await freePort(ip), user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${ap.port}` });
  stops.push(() => p.stop());
  await p.waitFor(/moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistration(Ok|Failed)\]/, 10000);
  return p;
}

async function trySipp(): Promise<Outcome> {
  const ip = '127.0.150.73';
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '413', '-au', '413', '-ap', PW['413'],
    '-key', 'expires', '2', `${HOST}:${ap.port}`, '-i', ip, '-p', String(await freePort(ip)), '-m', '1'], 6);
  // sipp does not unregister: its binding lasts 2 s (min_expires), so the next policy starts from none.
  return { registered: r.code === 0, line: lineOf(r.out, /createAuthHeader/) ?? lineOf(r.out, /Successful call/) };
}

describe.skipIf(!hasClients)('real clients and the digest policy of their extension', () => {
  const measured: string[] = [];
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: 'min_expires = 2' });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    service = new ExtensionService(ap.app.store, DOMAIN);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop();
    console.log(`client × digest policy (measured):\n${measured.join('\n')}`);
    await ap?.stop();
  });

  for (const policy of POLICIES) {
    test(`baresip on "${policy}"`, async () => {
      service.update({ number: '411', digest: policy });
      await noBindings('411');
      const got = await tryBaresip();
      measured.push(`baresip   ${policy.padEnd(8)} ${got.registered ? 'registered' : 'refused'}  ${got.line}`);
      const want = EXPECTED.baresip[policy];
      expect(got.registered).toBe(want.registered);
      if (want.line) expect(got.line).toMatch(want.line);
      expect(bindings('411')).toHaveLength(want.registered ? 1 : 0);
    }, 20000);

    test(`linphonec on "${policy}"`, async () => {
      service.update({ number: '412', digest: policy });
      await noBindings('412');
      const p = await startLinphonec('412', '127.0.150.72');
      const got = linphoneOutcome(p);
      measured.push(`linphonec ${policy.padEnd(8)} ${got.registered ? 'registered' : 'refused'}  answered ${got.algorithm}, offered ${got.offered?.join('+')}`);
      const want = EXPECTED.linphonec[policy];
      expect(got.offered).toEqual(OFFER[policy]);
      expect(got.registered).toBe(want.registered);
      expect(got.algorithm).toBe(want.algorithm!);
      expect(bindings('412')).toHaveLength(1);
      // A SHA-256 answer teaches the appliance that this phone model speaks it (setting a policy forgets it).
      expect(service.learntSha256('412')).toEqual(want.algorithm === 'SHA-256' ? ['linphonec'] : []);
    }, 20000);

    test(`sipp on "${policy}"`, async () => {
      service.update({ number: '413', digest: policy });
      await noBindings('413');
      const got = await trySipp();
      measured.push(`sipp      ${policy.padEnd(8)} ${got.registered ? 'registered' : 'refused'}  ${got.line}`);
      const want = EXPECTED.sipp[policy];
      expect(got.registered).toBe(want.registered);
      if (want.line) expect(got.line).toMatch(want.line);
      expect(bindings('413')).toHaveLength(want.registered ? 1 : 0);
    }, 20000);
  }

  test('learnt: linphonec answered SHA-256 on "both", so it is challenged with SHA-256 only afterwards and still registers', async () => {
    service.update({ number: '414', digest: 'both' });
    const first = await startLinphonec('414', '127.0.150.75');
    expect(linphoneOutcome(first)).toMatchObject({ registered: true, algorithm: 'SHA-256', offered: ['SHA-256', 'MD5'] });
    expect(service.learntSha256('414')).toEqual(['linphonec']);
    await stops.pop()!();
    await noBindings('414');
    const again = await startLinphonec('414', '127.0.150.75');
    expect(linphoneOutcome(again)).toMatchObject({ registered: true, algorithm: 'SHA-256', offered: ['SHA-256'] });
    expect(bindings('414')).toHaveLength(1);
    expect(bindings('414')[0].userAgent).toMatch(/^Linphonec\/5\./);
  }, 30000);

  test('attack: a client claiming the learnt model cannot register with an MD5 answer (no downgrade)', async () => {
    expect(service.learntSha256('414')).toEqual(['linphonec']);
    const peer = await SipUdpPeer.open('127.0.150.74');
    stops.push(async () => peer.close());
    const callId = `downgrade-${Date.now()}`;
    const reg = (cseq: number, auth?: string) => sipMessage(`REGISTER sip:${DOMAIN} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${peer.hostPort};rport;branch=z9hG4bK-${callId}-${cseq}`, 'Max-Forwards: 70',
      `From: <sip:414@${DOMAIN}>;tag=${callId}`, `To: <sip:414@${DOMAIN}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:414@${peer.hostPort}>`, 'Expires: 60', 'User-Agent: Linphonec/5.1.65', ...(auth ? [`Authorization: ${auth}`] : []),
    ]);
    const answer = async (cseq: number) => peer.waitFor((m) => m.includes(`CSeq: ${cseq} REGISTER`) && statusOf(m)! >= 200, 2000);
    peer.send(reg(1), ap.port, HOST);
    const challenge = await answer(1);
    expect(statusOf(challenge)).toBe(401);
    expect([...challenge!.matchAll(/^WWW-Authenticate:.*algorithm=([A-Z0-9-]+)/gim)].map((x) => x[1])).toEqual(['SHA-256']);
    // The right password, answered in MD5 against that nonce: a new challenge, never a 200.
    const md5 = digestAnswer({ user: '414', realm: DOMAIN, password: PW['414'], method: 'REGISTER', uri: `sip:${DOMAIN}`, nonce: challengeField(challenge!, 'nonce')!, algorithm: 'MD5' });
    peer.send(reg(2, md5), ap.port, HOST);
    expect(statusOf(await answer(2))).toBe(401);
    expect(bindings('414').filter((b) => b.contact.includes('127.0.150.74'))).toEqual([]);
  }, 20000);
});
