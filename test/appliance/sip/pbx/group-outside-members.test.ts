import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { outsideMemberCheck } from '../../../../appliance/admin/outside-forward-check.ts';
import { RingGroupService } from '../../../../appliance/admin/ring-group-service.ts';
import { startTestControlSection, type TestControlSection } from '../../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider, providerTrunk } from '../../../support/kamailio-provider.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, sippTimedMessages, startSippUas, type SippResult } from '../../../support/sipp.ts';

/**
 * Outside numbers as ring-group members (issue 15), with a real provider: Kamailio on
 * 127.1.25.2 (registrar, digest on calls, relaying numbers to "the outside world", a sipp UAS
 * on 127.1.25.30). The appliance (127.1.25.1, two workers) registers the trunk; extension 202
 * (127.1.25.10) calls groups whose members are 203 (a sipp phone on 127.1.25.13) and the
 * outside number 912125551234 (+12125551234 at the provider). The group calls it as itself:
 * its class and limits, its number in the call record's forwardedBy.
 */
const HOST = '127.1.25.1';
const PROVIDER = '127.1.25.2';
const PHONE = '127.1.25.10';
const MEMBER = '127.1.25.13';
const OUTSIDE = '127.1.25.30';
const HAVE = !!kamailioBinary() && requireTool('sipp');
const TRUNK_PW = 'Trunk-Pass-Grp-25';
const PW = { '202': 'Caller-Pass-2025', '203': 'Member-Pass-2035' };
const OUT = '912125551234';
const uasCancel = join(SHARED, 'testdata/sipp-scenarios/drachtio-srf/uas-cancel.xml');
/** The outside world is cancelled through the provider: its 487 must carry every Via (ours fixture). */
const worldCancel = join(SCENARIOS, 'uas-ring-cancel.xml');

let provider: KamailioProvider;
let t: TestControlSection;
let groups: RingGroupService;
let providerPort = 0;
let outsidePort = 0;
let memberPort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
/** The phone of 202 calls `dialled` (digest to us first). */
const call = async (dialled: string, scenario = 'uac-auth-call.xml') => runSipp(['-sf', join(SCENARIOS, scenario), '-s', dialled,
  '-au', '202', '-ap', PW['202'], '-key', 'caller', '202', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 25);
/** The outside world's UAS (behind the provider) and the member's phone, listening before the call. */
const outsideWorld = (scenario: string) => startSippUas(['-sf', scenario, '-i', OUTSIDE, '-p', String(outsidePort), '-m', '1'], 30);
const memberPhone = (scenario: string) => startSippUas(['-sf', scenario, '-i', MEMBER, '-p', String(memberPort), '-m', '1'], 30);
const records = () => t.control.store.callRecords.list();

/** ms from the caller's authenticated INVITE leaving to the first INVITE reaching the outside world (both sipp clocks, this host). */
async function addedDelay(caller: SippResult, world: SippResult): Promise<number> {
  const sent = (await sippTimedMessages(caller)).find((m) => m.dir === 'sent' && /^INVITE /.test(m.text) && /Proxy-Authorization:/i.test(m.text));
  const got = (await sippTimedMessages(world)).find((m) => m.dir === 'received' && /^INVITE /.test(m.text));
  expect(sent).toBeDefined();
  expect(got).toBeDefined();
  return got!.at - sent!.at;
}

describe.skipIf(!HAVE)('outside numbers as ring-group members over a real provider', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    outsidePort = await freePort(OUTSIDE);
    memberPort = await freePort(MEMBER);
    provider = await startKamailioProvider({
      address: PROVIDER, port: providerPort, domain: 'provider.example', username: '5551230000', password: TRUNK_PW, outside: `${OUTSIDE}:${outsidePort}`,
    });
    t = await startTestControlSection(HOST, {
      extensions: PW,
      tables: [
        ...providerTrunk(`${PROVIDER}:${providerPort}`, TRUNK_PW),
        '[emergency]', 'numbers = ["911"]', 'trunk = "provider"',
      ].join('\n'),
    });
    groups = new RingGroupService(t.control.store, ['911'], false, outsideMemberCheck(t.config, t.control.store));
    groups.add({ number: '630', name: 'Reception', members: ['203', OUT] });
    groups.add({ number: '631', name: 'Hunt', strategy: 'hunt', members: [OUT, '203'], ringSeconds: 5, timeoutSeconds: 30 });
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '203', '-au', '203', '-ap', PW['203'],
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', MEMBER, '-p', String(memberPort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    await until(() => t.control.view.trunks()[0]?.state === 'up');
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('ring-all: the outside member answers, the extension gets CANCEL; the record is the group\'s outside call', async () => {
    expect(t.control.view.trunks()[0].state).toBe('up');
    // Behind the provider (Kamailio, several UDP children): the ACK and the BYE may come in either order.
    const world = await outsideWorld(join(SCENARIOS, 'uas-answer-any-order.xml'));
    const member = await memberPhone(uasCancel);
    const caller = await call('630');
    expect(caller.code).toBe(0);
    const [far, rang] = [await world.done, await member.done];
    expect(far.code).toBe(0);
    expect(rang.code).toBe(0);
    expect(await sippMessages(rang)).toMatch(/^CANCEL sip:/m);
    const trace = await sippMessages(far);
    expect(trace).toMatch(/INVITE sip:\+12125551234@/);
    expect(trace).toMatch(/History-Info: [^\r\n]*<sip:630@office\.lan>;index=1[^\r\n]*<sip:912125551234@office\.lan>;index=1\.1;mp=1/);
    expect(trace).toMatch(/Diversion: <sip:630@office\.lan>;reason=unknown;counter=1/);
    // The group has no caller ID of its own: the trunk's, never the inside caller's identity.
    expect(trace).toMatch(/P-Asserted-Identity: <sip:\+15551230000@provider\.example>/);
    expect(trace).not.toContain('P-Asserted-Identity: <sip:202@');
    console.log(`ring-all group with an outside member: caller's INVITE -> INVITE at the provider's UAS ${(await addedDelay(caller, far)).toFixed(1)} ms`);
    await until(() => records().some((c) => c.forwardedBy === '630' && c.endedAt !== null));
    expect(records().find((c) => c.forwardedBy === '630')).toMatchObject({ direction: 'outbound', trunk: 'provider', routedTo: '+12125551234', result: 200, to: 'sip:630@office.lan' });
    const hour = Date.now() - 3600_000;
    expect(t.control.store.callRecords.outsideCalls('630', hour).started).toBe(1);
    expect(t.control.store.callRecords.outsideCalls('202', hour).started).toBe(0);
  }, 40_000);

  test('ring-all: the extension answers, the CANCEL reaches the provider\'s UAS; the record is an inside call', async () => {
    const world = await outsideWorld(worldCancel);
    // 203 answers after ringing 1.5 s: by then the provider has the INVITE (an answer during its 407 round trip sends it nothing at all).
    const member = await startSippUas(['-sf', join(SCENARIOS, 'uas-ring-then-answer.xml'), '-d', '1500', '-i', MEMBER, '-p', String(memberPort), '-m', '1'], 30);
    const caller = await call('630');
    expect(caller.code).toBe(0);
    const [far, answered] = [await world.done, await member.done];
    expect(answered.code).toBe(0);
    expect(far.code).toBe(0);
    expect(await sippMessages(far)).toMatch(/^CANCEL sip:\+12125551234@/m);
    const callId = /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(caller))![1].trim();
    await until(() => t.control.store.callRecords.byCallId(callId)?.endedAt != null);
    const rec = t.control.store.callRecords.byCallId(callId);
    expect(rec).toMatchObject({ result: 200, to: 'sip:630@office.lan' });
    expect(rec!.direction).not.toBe('outbound');
    expect(rec!.trunk).toBeNull();
    expect(rec!.forwardedBy).toBeNull();
  }, 40_000);

  test('hunt: the outside member rings first for its ring time, gets CANCEL at the provider, then the extension answers', async () => {
    const world = await outsideWorld(worldCancel);
    const member = await memberPhone(join(SCENARIOS, 'uas-answer.xml'));
    const caller = await call('631');
    expect(caller.code).toBe(0);
    const [far, answered] = [await world.done, await member.done];
    expect(far.code).toBe(0);
    expect(answered.code).toBe(0);
    const farMsgs = await sippTimedMessages(far);
    const invite = farMsgs.find((m) => m.dir === 'received' && /^INVITE /.test(m.text))!;
    const cancel = farMsgs.find((m) => m.dir === 'received' && /^CANCEL /.test(m.text))!;
    expect(cancel.at - invite.at).toBeGreaterThanOrEqual(4800);
    expect(cancel.at - invite.at).toBeLessThan(6500);
    console.log(`hunt group, outside member first: caller's INVITE -> INVITE at the provider's UAS ${(await addedDelay(caller, far)).toFixed(1)} ms; it rang ${(cancel.at - invite.at).toFixed(0)} ms (ring time 5000)`);
    expect(await sippMessages(answered)).toMatch(/History-Info: [^\r\n]*<sip:631@office\.lan>;index=1[^\r\n]*<sip:203@office\.lan>/);
  }, 40_000);

  test('attack: the group\'s hourly limit used up: its outside member is not called (nothing reaches the provider), the extension still rings', async () => {
    groups.update({ number: '630', outsideCallsPerHour: 1 });
    groups.add({ number: '632', members: [OUT], outsideCallsPerHour: 0 });
    try {
      const mark = provider.log().length;
      // Only the outside member: 403 with the reason, nothing sent.
      const refused = await call('632', 'uac-auth-call-refused.xml');
      expect(refused.code).toBe(0);
      expect(await sippMessages(refused)).toContain('SIP/2.0 403 Outside member refused: Outside call limit per hour reached');
      // 630 used its one call of the hour in the first test: only 203 rings now.
      const member = await memberPhone(join(SCENARIOS, 'uas-answer.xml'));
      const caller = await call('630');
      expect(caller.code).toBe(0);
      expect((await member.done).code).toBe(0);
      expect(provider.log().slice(mark)).not.toContain('+12125551234');
    } finally {
      groups.update({ number: '630', outsideCallsPerHour: 30 });
      groups.remove('632');
    }
  }, 40_000);
});
