import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../../support/sipp.ts';
import { CallFeaturesService } from '../../../../appliance/admin/call-features-service.ts';

/**
 * A phone's own 302 followed by the proxy (RFC 3261 §16.5, §16.7 step 4; issue 15), and a
 * caller's own History-Info continued (RFC 7044 §9.1). The appliance on 127.0.253.2, phones on
 * 127.0.253.30-32, a trusted gateway caller on 127.0.253.40.
 */
const HOST = '127.0.253.2';
const PHONE_A = '127.0.253.30';
const PHONE_B = '127.0.253.31';
const PHONE_C = '127.0.253.32';
const GATEWAY = '127.0.253.40';
const PW: Record<string, string> = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027', '203': 'Charlie-Lamp-2037', '204': 'Delta-Lamp-2047' };
const hasSipp = requireTool('sipp');
const uacCall = join(SHARED, 'bench/sipp/uac-call.xml');

let ap: TestAppliance;
const target = () => `${HOST}:${ap.port}`;
const ports: Record<string, number> = {};

async function register(ext: string, ip: string, port: number) {
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext], '-key', 'expires', '3600', target(), '-i', ip, '-p', String(port), '-m', '1'], 10);
  expect(r.code).toBe(0);
}
const redirecting = (ip: string, port: number, to: string, domain = 'office.lan') =>
  startSippUas(['-sf', join(SCENARIOS, 'uas-302.xml'), '-key', 'target', to, '-key', 'domain', domain, '-i', ip, '-p', String(port), '-m', '1'], 10);
const answering = (ip: string, port: number) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', ip, '-p', String(port), '-m', '1'], 10);
const call = async (number: string, scenario = uacCall) => runSipp(['-sf', scenario, '-s', number, target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10);
const invitesTo = (trace: string, ip: string) => {
  const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
  return ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${ip}:`)).length;
};

describe.skipIf(!hasSipp)('3xx recursion and History-Info with sipp', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]` });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    ports.A = await freePort(PHONE_A);
    ports.B = await freePort(PHONE_B);
    ports.C = await freePort(PHONE_C);
    await register('201', PHONE_A, ports.A);
    await register('202', PHONE_B, ports.B);
    await register('204', PHONE_C, ports.C);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test("a phone's 302 to another extension is followed: that phone rings with History-Info cause 302, the caller gets its 200", async () => {
    const moved = await redirecting(PHONE_A, ports.A, '204');
    const callee = await answering(PHONE_C, ports.C);
    const caller = await call('201');
    expect(caller.code).toBe(0); // the caller saw the 200, never the 302
    expect((await moved.done).code).toBe(0);
    const got = await callee.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:201@office.lan>;index=1, <sip:204@office.lan;cause=302>;index=1.1;mp=1');
    expect(await sippMessages(caller)).not.toMatch(/^SIP\/2\.0 302/m);
    // The recursion's added delay: the phone's 302 in → the INVITE out to the new target (call trace, 1 ms resolution).
    const callId = /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(caller))![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const moved302 = entries.find((e) => e.dir === 'in' && e.label.startsWith('302'))!;
    const next = entries.find((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${PHONE_C}:`))!;
    console.log(`3xx recursion: 302 in -> INVITE to the new target ${next.ts - moved302.ts} ms (call trace)`);
    expect(next.ts - moved302.ts).toBeLessThan(100);
  });

  test('loop-safe: 201 → 302 to 202, 202 → 302 back to 201: 201 is not rung again, the caller gets the 302', async () => {
    const a = await redirecting(PHONE_A, ports.A, '202');
    const b = await redirecting(PHONE_B, ports.B, '201');
    const caller = await call('201', join(SCENARIOS, 'uac-expect-302.xml'));
    expect(caller.code).toBe(0);
    expect((await a.done).code).toBe(0);
    expect((await b.done).code).toBe(0);
    const trace = await sippMessages(caller);
    expect(invitesTo(trace, PHONE_A)).toBe(1);
    expect(invitesTo(trace, PHONE_B)).toBe(1);
    expect(trace).toMatch(/^Contact: <sip:201@office\.lan>/m);
  });

  test('attack: a 302 to another host or domain is not followed by the proxy (no open relay); it goes to the caller as it is', async () => {
    const moved = await redirecting(PHONE_A, ports.A, '204', 'evil.example');
    const caller = await call('201', join(SCENARIOS, 'uac-expect-302.xml'));
    expect(caller.code).toBe(0);
    expect((await moved.done).code).toBe(0);
    const trace = await sippMessages(caller);
    expect(trace).toMatch(/^Contact: <sip:204@evil\.example>/m);
    const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
    expect(ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out' && e.label === 'INVITE').length).toBe(1);
  });

  test("a caller's own History-Info is kept and ours continues its indices (forward always 203 → 204)", async () => {
    new CallFeaturesService(ap.app.store).forward('203', 'always', '204');
    const callee = await answering(PHONE_C, ports.C);
    const caller = await call('203', join(SCENARIOS, 'uac-call-history-info.xml'));
    expect(caller.code).toBe(0);
    const got = await callee.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:+15551230100@gw.example>;index=1, <sip:203@office.lan>;index=1.1;rc=1, <sip:204@office.lan;cause=302>;index=1.1.1;mp=1.1');
    new CallFeaturesService(ap.app.store).forward('203', 'always', null);
  });
});
