import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, sippMessages } from '../../../support/sipp.ts';
import { startBaresip, type BaresipPhone } from '../../../support/baresip.ts';

/**
 * Feature codes from real phones (issue 15): sipp and baresip dial `*72<n>`, `*73`, `*78`,
 * `*79` through the digest challenge; the appliance answers with a final 603 naming what it
 * did and the store changes; strangers, gateways and bad targets change nothing.
 * The appliance on 127.0.253.1, phones on 127.0.253.10-11, a trusted gateway on 127.0.253.20.
 */
const HOST = '127.0.253.1';
const PHONE = '127.0.253.10';
const BARESIP = '127.0.253.11';
const GATEWAY = '127.0.253.20';
const PW: Record<string, string> = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027', '204': 'Delta-Lamp-2047' };
const hasSipp = requireTool('sipp');
const hasBaresip = requireTool('baresip');

let ap: TestAppliance;
const target = () => `${HOST}:${ap.port}`;
const features = (n: string) => ap.app.store.callFeatures.get(n);

/** Extension `ext` dials `code` with its credentials; the sipp result and its message trace. */
async function dial(ext: string, code: string, password = PW[ext]) {
  const r = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-feature-code.xml'), '-s', code, '-au', ext, '-ap', password, '-key', 'caller', ext,
    target(), '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 10);
  return { ...r, trace: await sippMessages(r) };
}

/** The final status line the appliance sent (the last non-1xx, non-407 response in the trace). */
function finalLine(trace: string): string {
  const lines = [...trace.matchAll(/^SIP\/2\.0 ([2-6]\d\d [^\r\n]*)/gm)].map((m) => m[1]).filter((l) => !l.startsWith('407'));
  return lines[lines.length - 1] ?? '';
}

describe.skipIf(!hasSipp)('feature codes with sipp', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]` });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test('*72204 sets forward always to 204 (603 with the confirmation in reason and Warning), *73 clears it; the round trip is measured', async () => {
    const on = await dial('201', '*72204');
    expect(on.code).toBe(0);
    expect(finalLine(on.trace)).toBe('603 Forward always on to 204');
    expect(on.trace).toContain('Warning: 399 office.lan "Forward always on to 204"');
    expect(on.trace).not.toMatch(/^SIP\/2\.0 2\d\d/m); // no dialog, no session
    expect(features('201').forwardAlways).toBe('204');
    // The round trip from the authenticated INVITE in to the 603 out (call trace, 1 ms resolution).
    const callId = /Call-ID: *([^\r\n]+)/i.exec(on.trace)![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const invites = entries.filter((e) => e.dir === 'in' && e.label === 'INVITE');
    const done = entries.find((e) => e.dir === 'out' && e.label.startsWith('603'))!;
    console.log(`feature code *72204: authenticated INVITE in -> 603 out ${done.ts - invites[invites.length - 1].ts} ms (call trace)`);
    expect(done.ts - invites[invites.length - 1].ts).toBeLessThan(100);

    const off = await dial('201', '*73');
    expect(finalLine(off.trace)).toBe('603 Forward always off');
    expect(features('201').forwardAlways).toBeNull();
  });

  test('*78 / *79 switch do-not-disturb; a call to the extension then gets 486', async () => {
    expect(finalLine((await dial('202', '*78')).trace)).toBe('603 Do not disturb on');
    expect(features('202').dnd).toBe(true);
    const caller = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-486.xml'), '-s', '202', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10);
    expect(caller.code).toBe(0);
    expect(finalLine((await dial('202', '%2A79')).trace)).toBe('603 Do not disturb off'); // `*` escaped (RFC 3261 §25.1) is the same code
    expect(features('202').dnd).toBe(false);
  });

  test('refused: a target that is not an extension nor a group, itself (403), no number (484); nothing changes', async () => {
    const gone = await dial('201', '*72999');
    expect(finalLine(gone.trace)).toBe('403 forward target "999": no route of the dial plan takes it');
    expect(finalLine((await dial('201', '*72201')).trace)).toBe('403 an extension cannot forward to itself');
    expect(finalLine((await dial('201', '*72')).trace)).toBe('484 Address Incomplete: dial the code and the number');
    expect(features('201').forwardAlways).toBeNull();
  });

  test('attack: a wrong password is challenged again and changes nothing; a trusted gateway (no extension) gets 403', async () => {
    const wrong = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-feature-code.xml'), '-s', '*78', '-au', '201', '-ap', 'Not-The-Password-1', '-key', 'caller', '201',
      target(), '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 10);
    expect(finalLine(await sippMessages(wrong))).toMatch(/^403 /);
    expect(features('201').dnd).toBe(false);
    // The gateway is trusted (no digest) but is no extension: it cannot set anyone's features.
    const gw = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-404.xml'), '-s', '*78', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10);
    expect(await sippMessages(gw)).toMatch(/^SIP\/2\.0 403 Feature codes need an extension's login/m);
    expect(features('201').dnd).toBe(false);
  });
});

describe.skipIf(!hasBaresip)('feature codes from baresip', () => {
  let phone: BaresipPhone | undefined;
  let app: TestAppliance;
  beforeAll(async () => {
    app = await startTestAppliance(HOST, {});
    app.addExtension('204', PW['204']);
    app.addExtension('202', PW['202']);
    phone = startBaresip({ ip: BARESIP, port: await freePort(BARESIP), user: '204', password: PW['204'], domain: 'office.lan', proxy: `${HOST}:${app.port}` });
    await phone.waitFor(/200 OK|registered/i);
  });
  afterAll(async () => {
    await phone?.stop();
    await app?.stop();
  });

  test('baresip dials *78, *79, *72202 and *73: each answered 603 with its confirmation, the store follows', async () => {
    const p = phone!;
    const step = async (code: string, text: RegExp) => {
      const from = p.log().length;
      p.send(`/dial sip:${code}@office.lan`);
      await p.waitFor(new RegExp(`session closed: 603 ${text.source}`), 8000, from);
      await p.waitFor(/terminated|closed/i, 8000, from);
    };
    await step('*78', /Do not disturb on/);
    expect(app.app.store.callFeatures.get('204').dnd).toBe(true);
    await step('*79', /Do not disturb off/);
    expect(app.app.store.callFeatures.get('204').dnd).toBe(false);
    await step('*72202', /Forward always on to 202/);
    expect(app.app.store.callFeatures.get('204').forwardAlways).toBe('202');
    await step('*73', /Forward always off/);
    expect(app.app.store.callFeatures.get('204').forwardAlways).toBeNull();
  }, 40000);
});
