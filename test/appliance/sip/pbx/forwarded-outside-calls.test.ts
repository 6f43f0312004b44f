import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { CallFeaturesService } from '../../../../appliance/admin/call-features-service.ts';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { outsideForwardCheck } from '../../../../appliance/admin/outside-forward-check.ts';
import { RingGroupService } from '../../../../appliance/admin/ring-group-service.ts';
import { startTestControlSection, type TestControlSection } from '../../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider, providerTrunk } from '../../../support/kamailio-provider.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../../support/sipp.ts';

/**
 * The outside line and the office features together (issue 15), with a real provider: Kamailio
 * on 127.1.15.2 is the provider (registrar, digest on calls, relaying numbers to "the outside
 * world", a sipp UAS on 127.1.15.30, and calls from there to the DID back to us). The appliance
 * (127.1.15.1, two workers) registers the trunk. Extension 201 forwards always to an outside
 * number: 202's call to 201 leaves over the trunk as 201's outside call (its call record says
 * so, its hourly limit counts it and, once used, refuses the next forward with nothing sent).
 * A call from the outside world to the DID whose `[[inbound]] to` is ring group 600 rings 203.
 */
const HOST = '127.1.15.1';
const PROVIDER = '127.1.15.2';
const PHONE = '127.1.15.10';
const MEMBER = '127.1.15.13';
const OUTSIDE = '127.1.15.30';
const HAVE = !!kamailioBinary() && requireTool('sipp');
const TRUNK_PW = 'Trunk-Pass-Fwd-15';
const PW = { '201': 'Forward-Pass-201', '202': 'Caller-Pass-202', '203': 'Member-Pass-203' };

let provider: KamailioProvider;
let t: TestControlSection;
let providerPort = 0;
let outsidePort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
/** The phone of 202 calls `dialled` (digest to us first). */
const call = async (dialled: string, scenario = 'uac-auth-call.xml') => runSipp(['-sf', join(SCENARIOS, scenario), '-s', dialled,
  '-au', '202', '-ap', PW['202'], '-key', 'caller', '202', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 20);
/** The outside world answers; behind the provider (Kamailio, several UDP children) the ACK and the BYE may come in either order. */
const outsideWorld = (calls: number) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', OUTSIDE, '-p', String(outsidePort), '-m', String(calls)], 30);
const records = () => t.control.store.callRecords.list();
/**
 * 201's limits changed as the web UI changes them: the store, then the workers told at once
 * (`storeChanged`, as control-web.ts does); without it they saw it at their next 1 s poll and a
 * call made right after was still let through (reproduced: 2 of 12 runs at load ~4).
 */
const permit = (patch: Record<string, unknown>) => {
  new ExtensionService(t.control.store, t.config.sip.domain).update({ number: '201', ...patch });
  t.control.view.storeChanged();
};

describe.skipIf(!HAVE)('forwarded and group calls over a real provider', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    outsidePort = await freePort(OUTSIDE);
    provider = await startKamailioProvider({
      address: PROVIDER, port: providerPort, domain: 'provider.example', username: '5551230000', password: TRUNK_PW, outside: `${OUTSIDE}:${outsidePort}`,
    });
    t = await startTestControlSection(HOST, {
      extensions: PW,
      tables: [
        ...providerTrunk(`${PROVIDER}:${providerPort}`, TRUNK_PW),
        '[[inbound]]', 'did = "+15551230600"', 'trunk = "provider"', 'to = "600"',
        '[emergency]', 'numbers = ["911"]', 'trunk = "provider"',
      ].join('\n'),
    });
    new RingGroupService(t.control.store, ['911']).add({ number: '600', name: 'Reception', members: ['203'] });
    new CallFeaturesService(t.control.store, outsideForwardCheck(t.config, t.control.store)).forward('201', 'always', '912125551234');
    await until(() => t.control.view.trunks()[0]?.state === 'up');
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('a forward to an outside number: the leg leaves over the trunk and is recorded as the forwarding extension\'s outside call', async () => {
    expect(t.control.view.trunks()[0].state).toBe('up');
    const world = await outsideWorld(1);
    const r = await call('201');
    expect(r.code).toBe(0);
    const far = await world.done;
    expect(far.code).toBe(0);
    const trace = await sippMessages(far);
    expect(trace).toMatch(/INVITE sip:\+12125551234@/);
    expect(trace).toMatch(/Diversion: <sip:201@office\.lan>;reason=unconditional;counter=1/);
    // The forwarding extension's identity towards the provider (here the trunk's caller ID), never the caller's inside one.
    expect(trace).toMatch(/P-Asserted-Identity: <sip:\+15551230000@provider\.example>/);
    await until(() => records().some((c) => c.routedTo === '+12125551234' && c.endedAt !== null));
    expect(records().find((c) => c.routedTo === '+12125551234')).toMatchObject({
      direction: 'outbound', trunk: 'provider', forwardedBy: '201', from: 'sip:202@office.lan', to: 'sip:201@office.lan', result: 200,
    });
    // 201's outside call, not its caller's.
    const hour = Date.now() - 3600_000;
    expect(t.control.store.callRecords.outsideCalls('201', hour).started).toBe(1);
    expect(t.control.store.callRecords.outsideCalls('202', hour).started).toBe(0);
  }, 30_000);

  test('attack: the forwarding extension\'s hourly limit used up: 403 Forward refused, nothing reaches the provider', async () => {
    permit({ outsideCallsPerHour: 1 });
    try {
      const before = provider.log().length;
      const r = await call('201', 'uac-auth-call-refused.xml');
      if (r.code !== 0) console.log('refused caller sipp failed', r.out.slice(-3000), await sippMessages(r), provider.log().slice(before));
      expect(r.code).toBe(0);
      expect(await sippMessages(r)).toContain('SIP/2.0 403 Forward refused: Outside call limit per hour reached');
      expect(provider.log().slice(before)).not.toContain('+12125551234');
    } finally {
      permit({ outsideCallsPerHour: 30 });
    }
  }, 20_000);

  test('inbound number to a ring group: a call from the outside world to the DID rings the group\'s member', async () => {
    const memberPort = await freePort(MEMBER);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '203', '-au', '203', '-ap', PW['203'],
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', MEMBER, '-p', String(memberPort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    // The caller (bench/sipp/uac-call.xml) hangs up right after its ACK; the provider and our
    // workers relay the two independently, so the member may see the BYE first (it did once at
    // load ~3: sipp's "Aborting call on an unexpected BYE", exit 1). Both must still arrive.
    const member = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', MEMBER, '-p', String(memberPort), '-m', '1'], 20);
    const caller = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '+15551230600', `${PROVIDER}:${providerPort}`,
      '-i', OUTSIDE, '-p', String(await freePort(OUTSIDE)), '-m', '1'], 20);
    expect(caller.code).toBe(0);
    const rang = await member.done;
    if (rang.code !== 0) console.log('ring-group member sipp failed', rang.out.slice(-3000), await sippMessages(rang), 'CALLER', await sippMessages(caller));
    expect(rang.code).toBe(0);
    // The member's phone got the group's call: History-Info names the group, then 203.
    expect(await sippMessages(rang)).toMatch(/History-Info: [^\r\n]*<sip:600@office\.lan>;index=[0-9.]+[^\r\n]*<sip:203@office\.lan/);
    await until(() => records().some((c) => c.direction === 'inbound' && c.endedAt !== null));
    expect(records().find((c) => c.direction === 'inbound')).toMatchObject({ trunk: 'provider', routedTo: '600', result: 200 });
  }, 30_000);
});
