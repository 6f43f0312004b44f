import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSipp, startSippUas } from '../../support/sipp.ts';
import { RingGroupService } from '../../../appliance/admin/ring-group-service.ts';
import { CallFeaturesService } from '../../../appliance/admin/call-features-service.ts';

/**
 * Ring groups, forwarding and do-not-disturb with sipp as the phones (issue 15): the appliance on
 * 127.0.200.1, phones on 127.0.200.10-13, a trusted gateway caller on 127.0.200.20.
 */
const HOST = '127.0.200.1';
const PHONE_A = '127.0.200.10';
const PHONE_B = '127.0.200.11';
const PHONE_C = '127.0.200.12';
const GATEWAY = '127.0.200.20';
const PW: Record<string, string> = {
  '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027', '203': 'Charlie-Lamp-2037', '204': 'Delta-Lamp-2047', '205': 'Echo-Lamp-2057',
};
const hasSipp = requireTool('sipp');
const drachtio = join(SHARED, 'testdata/sipp-scenarios/drachtio-srf');
const uacCall = join(SHARED, 'bench/sipp/uac-call.xml');

let ap: TestAppliance;
let groups: RingGroupService;
let features: CallFeaturesService;
const target = () => `${HOST}:${ap.port}`;

async function register(ext: string, ip: string, port: number) {
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext],
    '-key', 'expires', '3600', target(), '-i', ip, '-p', String(port), '-m', '1'], 10);
  expect(r.code).toBe(0);
}

/** A call from the gateway to `number` with a scenario expecting an outcome. */
async function call(number: string, scenario = uacCall) {
  return runSipp(['-sf', scenario, '-s', number, target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
}

/** ms from the INVITE received from the gateway to the INVITE sent to `peer` (the call trace, ms resolution). */
function inviteDelay(trace: string, peerIp: string): number {
  const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
  const entries = ap.app.sip.service.trace.get(callId);
  const inn = entries.find((e) => e.dir === 'in' && e.label === 'INVITE')!;
  const out = entries.find((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${peerIp}:`))!;
  return out.ts - inn.ts;
}

describe.skipIf(!hasSipp)('ring groups, forwarding and DND with sipp', () => {
  const ports: Record<string, number> = {};
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]` });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    groups = new RingGroupService(ap.app.store);
    features = new CallFeaturesService(ap.app.store);
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

  test('ring-all: both members ring, the second answers, the first gets CANCEL; the unregistered member is skipped', async () => {
    groups.add({ number: '600', name: 'Reception', members: ['205', '201', '202'] });
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 15);
    const answering = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 15);
    const caller = await call('600');
    expect(caller.code).toBe(0);
    const [r, a] = [await ringing.done, await answering.done];
    expect(a.code).toBe(0);
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toMatch(/^CANCEL sip:/m);
    // Each member's INVITE names the group as the original target (RFC 7044).
    expect(await sippMessages(a)).toContain('History-Info: <sip:600@office.lan>;index=1, <sip:202@office.lan>;index=1.1;mp=1');
  });

  test('a group whose members are all unavailable goes to its fallback', async () => {
    groups.add({ number: '601', members: ['205'], fallback: '204' });
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 15);
    expect((await call('601')).code).toBe(0);
    const got = await callee.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:601@office.lan>;index=1, <sip:204@office.lan;cause=480>;index=1.1;mp=1');
  });

  test('forward always: the target rings with History-Info naming the original callee; the added delay is measured', async () => {
    // Direct call first, for the baseline.
    let callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 15);
    const direct = await call('204');
    expect(direct.code).toBe(0);
    expect((await callee.done).code).toBe(0);
    features.forward('203', 'always', '204');
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 15);
    const forwarded = await call('203');
    expect(forwarded.code).toBe(0);
    const got = await callee.done;
    expect(got.code).toBe(0);
    const trace = await sippMessages(got);
    expect(trace).toMatch(/^INVITE sip:204@127\.0\.200\.12/m);
    expect(trace).toContain('History-Info: <sip:203@office.lan>;index=1, <sip:204@office.lan;cause=302>;index=1.1;mp=1');
    const d = inviteDelay(await sippMessages(direct), PHONE_C);
    const f = inviteDelay(await sippMessages(forwarded), PHONE_C);
    console.log(`INVITE in -> INVITE out at the target: direct ${d} ms, forwarded ${f} ms (call trace, 1 ms resolution)`);
    expect(f).toBeLessThan(50);
  });

  test('do-not-disturb: 486 Busy Here; with forward-on-busy the target rings instead', async () => {
    features.dnd('205', true);
    expect((await call('205', join(SCENARIOS, 'uac-expect-486.xml'))).code).toBe(0);
    features.forward('205', 'busy', '204');
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 15);
    expect((await call('205')).code).toBe(0);
    const got = await callee.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('<sip:205@office.lan>;index=1, <sip:204@office.lan;cause=486>;index=1.1;mp=1');
  });

  test('attack: a forward loop cannot make the appliance call in circles: one 482, no INVITE sent to any phone', async () => {
    features.forward('201', 'always', '202');
    features.forward('202', 'always', '201');
    const r = await call('201', join(SCENARIOS, 'uac-expect-482.xml'));
    expect(r.code).toBe(0);
    const callId = /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(r))![1].trim();
    const sent = ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out').map((e) => e.label);
    expect(sent.filter((l) => l === 'INVITE')).toEqual([]);
    expect(sent).toContain('482 Loop Detected');
    features.forward('201', 'always', null);
    features.forward('202', 'always', null);
  });

  /** ms between two trace entries of a call: the first `a`, then the first `b` after it. */
  function gap(trace: string, a: (e: { dir: string; label: string; peer: string }) => boolean, b: (e: { dir: string; label: string; peer: string }) => boolean): number {
    const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const i = entries.findIndex(a);
    const j = entries.findIndex((e, k) => k > i && b(e));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
    return entries[j].ts - entries[i].ts;
  }
  const cancelTo = (ip: string) => (e: { dir: string; label: string; peer: string }) => e.dir === 'out' && e.label === 'CANCEL' && e.peer.startsWith(`${ip}:`);
  const inviteTo = (ip: string) => (e: { dir: string; label: string; peer: string }) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${ip}:`);
  const inviteIn = (e: { dir: string; label: string }) => e.dir === 'in' && e.label === 'INVITE';

  test('hunt: the first member rings for its ring time, gets CANCEL, then the next member rings and answers', async () => {
    groups.add({ number: '610', strategy: 'hunt', members: ['201', '202'], ringSeconds: 5, timeoutSeconds: 30 });
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 20);
    const answering = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 20);
    const t0 = performance.now();
    const caller = await call('610');
    expect(caller.code).toBe(0);
    const [r, a] = [await ringing.done, await answering.done];
    expect(r.code).toBe(0);
    expect(a.code).toBe(0);
    const trace = await sippMessages(caller);
    const ringTime = gap(trace, inviteTo(PHONE_A), cancelTo(PHONE_A));
    const handOver = gap(trace, cancelTo(PHONE_A), inviteTo(PHONE_B));
    console.log(`hunt: member 1 rang ${ringTime} ms (ring time 5000), CANCEL to member 1 -> INVITE to member 2: ${handOver} ms (incl. member 1's 200/487 round trip); call ${Math.round(performance.now() - t0)} ms`);
    expect(ringTime).toBeGreaterThanOrEqual(4900);
    expect(ringTime).toBeLessThan(5500);
    expect(handOver).toBeLessThan(100);
    expect(await sippMessages(a)).toContain('History-Info: <sip:610@office.lan>;index=1, <sip:202@office.lan>;index=1.1;mp=1');
    groups.remove('610');
  }, 30000);

  test('a ring-all group that nobody answers goes to its fallback after its timeout', async () => {
    groups.add({ number: '612', members: ['201'], timeoutSeconds: 5, fallback: '204' });
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 20);
    const fallback = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 20);
    const caller = await call('612');
    expect(caller.code).toBe(0);
    expect((await ringing.done).code).toBe(0);
    const got = await fallback.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:612@office.lan>;index=1, <sip:204@office.lan;cause=480>;index=1.1;mp=1');
    const waited = gap(await sippMessages(caller), inviteIn, inviteTo(PHONE_C));
    expect(waited).toBeGreaterThanOrEqual(4900);
    groups.remove('612');
  }, 30000);

  test('forward on no answer: the phone rings N s, gets CANCEL, the target rings with History-Info cause 408', async () => {
    features.forward('201', 'noanswer', '204', 5);
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 20);
    const target = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 20);
    const caller = await call('201');
    expect(caller.code).toBe(0);
    expect((await ringing.done).code).toBe(0);
    const got = await target.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:201@office.lan>;index=1, <sip:204@office.lan;cause=408>;index=1.1;mp=1');
    const handOver = gap(await sippMessages(caller), cancelTo(PHONE_A), inviteTo(PHONE_C));
    console.log(`forward on no answer: CANCEL to the phone -> INVITE to the target: ${handOver} ms`);
    features.forward('201', 'noanswer', null);
  }, 30000);

  test('forward on busy: 486 from the phone, the target rings with History-Info cause 486; the caller never sees the 486', async () => {
    features.forward('202', 'busy', '204');
    const busy = await startSippUas(['-sf', join(SCENARIOS, 'uas-486.xml'), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 20);
    const target = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE_C, '-p', String(ports.C), '-m', '1'], 20);
    const caller = await call('202');
    expect(caller.code).toBe(0);
    expect((await busy.done).code).toBe(0);
    const got = await target.done;
    expect(got.code).toBe(0);
    expect(await sippMessages(got)).toContain('History-Info: <sip:202@office.lan>;index=1, <sip:204@office.lan;cause=486>;index=1.1;mp=1');
    expect(await sippMessages(caller)).not.toContain('486 Busy');
    const callId = /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(caller))![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const busyIn = entries.find((e) => e.dir === 'in' && e.label.startsWith('486'))!;
    const next = entries.find((e) => inviteTo(PHONE_C)(e))!;
    console.log(`forward on busy: 486 in -> INVITE to the target: ${next.ts - busyIn.ts} ms`);
    features.forward('202', 'busy', null);
  }, 30000);

  test('a CANCEL from the caller at a later hunt step cancels that member and ends the call with 487', async () => {
    groups.add({ number: '613', strategy: 'hunt', members: ['201', '202'], ringSeconds: 10, timeoutSeconds: 30 });
    const busy = await startSippUas(['-sf', join(SCENARIOS, 'uas-486.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 20);
    const ringing = await startSippUas(['-sf', join(drachtio, 'uas-cancel.xml'), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 20);
    // uac-cancel.xml cancels on the first 180, which comes from member 2 (member 1 answered 486 at once).
    const caller = await call('613', join(SCENARIOS, 'uac-cancel.xml'));
    expect(caller.code).toBe(0);
    expect((await busy.done).code).toBe(0);
    const r = await ringing.done;
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toMatch(/^CANCEL sip:/m);
    groups.remove('613');
  }, 30000);
});
