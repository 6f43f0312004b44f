import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../../support/sipp.ts';
import { CallFeaturesService } from '../../../../appliance/admin/call-features-service.ts';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { outsideForwardCheck } from '../../../../appliance/admin/outside-forward-check.ts';

/**
 * Forwards to outside numbers (issue 15 part 4) through the dial plan with the forwarding
 * extension's permission class: set by the admin and by `*72`, refused for a class it may not
 * call, an emergency number, a number no route takes; a call to the extension leaves over the
 * trunk with Diversion and History-Info naming it, and is refused once its class no longer
 * allows it. The appliance on 127.0.254.2, the provider (a sipp UAS behind a static trunk) on
 * 127.0.254.30, a phone on 127.0.254.31, a trusted gateway caller on 127.0.254.40.
 */
const HOST = '127.0.254.2';
const PROVIDER = '127.0.254.30';
const PHONE = '127.0.254.31';
const GATEWAY = '127.0.254.40';
const PW: Record<string, string> = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027' };
const hasSipp = requireTool('sipp');

let ap: TestAppliance;
let providerPort: number;
let features: CallFeaturesService;
const target = () => `${HOST}:${ap.port}`;
const call = async (number: string, scenario = join(SHARED, 'bench/sipp/uac-call.xml')) =>
  runSipp(['-sf', scenario, '-s', number, target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);

describe.skipIf(!hasSipp)('forwards to outside numbers through the dial plan', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    ap = await startTestAppliance(HOST, {
      sip: [`trusted = ["${GATEWAY}/32"]`,
        '[[trunks]]', 'name = "gw"', `registrar = "${PROVIDER}:${providerPort}"`, 'username = "office"', 'register = false',
        '[[routes]]', 'name = "national"', 'pattern = "^9(1[2-8][0-9]{9})$"', 'replace = "+$1"', 'trunk = "gw"', 'class = "national"',
        '[[routes]]', 'name = "premium"', 'pattern = "^9(1900[0-9]{7})$"', 'replace = "+$1"', 'trunk = "gw"', 'class = "premium"',
        '[emergency]', 'numbers = ["911"]', 'trunk = "gw"'].join('\n'),
    });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    features = new CallFeaturesService(ap.app.store, outsideForwardCheck(ap.config, ap.app.store));
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test('set by the admin only within the extension\'s class; emergency and unrouted numbers refused', () => {
    expect(features.forward('201', 'always', '912125551234').forwardAlways).toBe('912125551234');
    expect(() => features.forward('201', 'busy', '919005551234')).toThrow('may not call premium numbers');
    expect(() => features.forward('201', 'busy', '911')).toThrow('an emergency number cannot be a forward target');
    expect(() => features.forward('201', 'busy', '5551234')).toThrow('no route of the dial plan takes it');
    expect(() => new CallFeaturesService(ap.app.store).forward('201', 'busy', '912125551234')).toThrow('neither an extension nor a ring group');
  });

  test('a call to the forwarded extension leaves over the trunk with Diversion and History-Info naming it', async () => {
    const provider = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PROVIDER, '-p', String(providerPort), '-m', '1'], 15);
    expect((await call('201')).code).toBe(0);
    const got = await provider.done;
    expect(got.code).toBe(0);
    const trace = await sippMessages(got);
    expect(trace).toMatch(/^INVITE sip:\+12125551234@127\.0\.254\.30(:\d+)? SIP\/2\.0/m);
    expect(trace).toContain('Diversion: <sip:201@office.lan>;reason=unconditional;counter=1');
    expect(trace).toContain('History-Info: <sip:201@office.lan>;index=1, <sip:912125551234@office.lan;cause=302>;index=1.1;mp=1');
    // The delay the forward adds: the gateway's INVITE in -> the INVITE out to the provider (call trace, 1 ms resolution).
    const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const inn = entries.find((e) => e.dir === 'in' && e.label === 'INVITE')!;
    const out = entries.find((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${PROVIDER}:`))!;
    console.log(`forward always to an outside number: INVITE in -> INVITE to the provider ${out.ts - inn.ts} ms (call trace)`);
    expect(out.ts - inn.ts).toBeLessThan(100);
  });

  test('attack: once the extension\'s class no longer allows it, the forward is refused at the call (403), nothing leaves', async () => {
    new ExtensionService(ap.app.store, 'office.lan').update({ number: '201', callClass: 'internal' });
    const r = await call('201', join(SCENARIOS, 'uac-expect-403.xml'));
    expect(r.code).toBe(0);
    const trace = await sippMessages(r);
    expect(trace).toMatch(/^SIP\/2\.0 403 Forward refused: /m);
    const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
    expect(ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out' && e.label === 'INVITE')).toEqual([]);
    new ExtensionService(ap.app.store, 'office.lan').update({ number: '201', callClass: 'national' });
    features.forward('201', 'always', null);
  });

  test('*72 with an outside number from the phone: the same check (603 within its class, 403 for premium)', async () => {
    const dial = async (code: string) => {
      const r = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-feature-code.xml'), '-s', code, '-au', '202', '-ap', PW['202'], '-key', 'caller', '202',
        target(), '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 10);
      return (await sippMessages(r)).match(/^SIP\/2\.0 (?!407|100)(\d{3} [^\r\n]*)/gm)?.pop();
    };
    expect(await dial('*72912125551234')).toBe('SIP/2.0 603 Forward always on to 912125551234');
    expect(ap.app.store.callFeatures.get('202').forwardAlways).toBe('912125551234');
    expect(await dial('*72919005551234')).toMatch(/^SIP\/2\.0 403 forward target "919005551234": extension 202 may not call premium numbers/);
    expect(ap.app.store.callFeatures.get('202').forwardAlways).toBe('912125551234');
  });
});
