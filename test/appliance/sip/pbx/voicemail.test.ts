import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../../support/sipp.ts';
import { RingGroupService } from '../../../../appliance/admin/ring-group-service.ts';

/**
 * Voicemail hand-off (issue 15) with a sipp "voicemail server": a busy or unregistered
 * extension's call reaches it with the mailbox in the Request-URI (RFC 4458), History-Info and
 * Diversion; a phone's MWI SUBSCRIBE (RFC 3842) is routed to it and its NOTIFY comes back.
 * The appliance on 127.0.254.1, phones on 127.0.254.10-11, the server on 127.0.254.5, a trusted
 * gateway on 127.0.254.20.
 */
const HOST = '127.0.254.1';
const PHONE_A = '127.0.254.10';
const PHONE_B = '127.0.254.11';
const VM = '127.0.254.5';
const GATEWAY = '127.0.254.20';
const PW: Record<string, string> = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027', '203': 'Charlie-Lamp-2037' };
const hasSipp = requireTool('sipp');
const uacCall = join(SCENARIOS, '../../../../shared/bench/sipp/uac-call.xml');

let ap: TestAppliance;
let vmPort: number;
const target = () => `${HOST}:${ap.port}`;

async function register(ext: string, ip: string, port: number) {
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext], '-key', 'expires', '3600', target(), '-i', ip, '-p', String(port), '-m', '1'], 10);
  expect(r.code).toBe(0);
}

const voicemailServer = (scenario = 'uas-answer.xml') => startSippUas(['-sf', join(SCENARIOS, scenario), '-i', VM, '-p', String(vmPort), '-m', '1'], 15);

describe.skipIf(!hasSipp)('voicemail hand-off and MWI with a sipp voicemail server', () => {
  const ports: Record<string, number> = {};
  beforeAll(async () => {
    vmPort = await freePort(VM);
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]\n[voicemail]\nuri = "sip:vm@${VM}:${vmPort}"\nno_answer_seconds = 5` });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    ports.A = await freePort(PHONE_A);
    ports.B = await freePort(PHONE_B);
    await register('201', PHONE_A, ports.A);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test('a call to a busy extension reaches voicemail, the extension named in the R-URI, History-Info and Diversion; the caller never sees the 486', async () => {
    const busy = await startSippUas(['-sf', join(SCENARIOS, 'uas-486.xml'), '-i', PHONE_A, '-p', String(ports.A), '-m', '1'], 15);
    const vm = await voicemailServer();
    const caller = await runSipp(['-sf', uacCall, '-s', '201', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
    expect(caller.code).toBe(0);
    expect((await busy.done).code).toBe(0);
    const got = await vm.done;
    expect(got.code).toBe(0);
    const trace = await sippMessages(got);
    expect(trace).toContain(`INVITE sip:vm@${VM}:${vmPort};target=sip:201%40office.lan;cause=486 SIP/2.0`);
    expect(trace).toContain(`History-Info: <sip:201@office.lan>;index=1, <sip:vm@${VM}:${vmPort};target=sip:201%40office.lan;cause=486>;index=1.1;mp=1`);
    expect(trace).toContain('Diversion: <sip:201@office.lan>;reason=user-busy;counter=1');
    // The hand-off's added delay: the phone's 486 in → the INVITE out to the server (call trace, 1 ms resolution).
    const callId = /Call-ID: *([^\r\n]+)/i.exec(trace)![1].trim();
    const entries = ap.app.sip.service.trace.get(callId);
    const busyIn = entries.find((e) => e.dir === 'in' && e.label.startsWith('486'))!;
    const toVm = entries.find((e) => e.dir === 'out' && e.label === 'INVITE' && e.peer.startsWith(`${VM}:`))!;
    console.log(`voicemail on busy: 486 in -> INVITE to the voicemail server ${toVm.ts - busyIn.ts} ms (call trace)`);
    expect(toVm.ts - busyIn.ts).toBeLessThan(100);
  });

  test('an extension without a phone registered goes to voicemail at once (cause 503, unavailable)', async () => {
    const vm = await voicemailServer();
    const caller = await runSipp(['-sf', uacCall, '-s', '203', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
    expect(caller.code).toBe(0);
    const trace = await sippMessages(await vm.done);
    expect(trace).toContain(`INVITE sip:vm@${VM}:${vmPort};target=sip:203%40office.lan;cause=503 SIP/2.0`);
    expect(trace).toContain('Diversion: <sip:203@office.lan>;reason=unavailable;counter=1');
  });

  test("a group whose members cannot answer falls back to voicemail: the group's own mailbox (cause 480)", async () => {
    const groups = new RingGroupService(ap.app.store, [], true);
    groups.add({ number: '650', members: ['203'], fallback: 'voicemail' });
    expect(() => new RingGroupService(ap.app.store).add({ number: '651', members: ['203'], fallback: 'voicemail' })).toThrow('needs a voicemail server');
    const vm = await voicemailServer();
    const caller = await runSipp(['-sf', uacCall, '-s', '650', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
    expect(caller.code).toBe(0);
    const trace = await sippMessages(await vm.done);
    expect(trace).toContain(`INVITE sip:vm@${VM}:${vmPort};target=sip:650%40office.lan;cause=480 SIP/2.0`);
    expect(trace).toContain('Diversion: <sip:650@office.lan>;reason=unavailable;counter=1');
    groups.remove('650');
  });

  test('an MWI SUBSCRIBE of a phone for its own account is routed to the server, whose NOTIFY reaches the phone', async () => {
    const vm = await voicemailServer('uas-voicemail-mwi.xml');
    const phone = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-subscribe-mwi.xml'), '-s', '202', '-au', '202', '-ap', PW['202'], '-key', 'caller', '202',
      target(), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 15);
    const server = await vm.done;
    expect(server.code).toBe(0);
    expect(phone.code).toBe(0);
    const at = await sippMessages(server);
    expect(at).toMatch(/^SUBSCRIBE sip:202@office\.lan SIP\/2\.0/m); // the account, as the phone named it (RFC 3842 §4)
    expect(at).toMatch(/^Record-Route: +<sip:127\.0\.254\.1:\d+;lr;dlg=[0-9a-f]{20}>/m);
    expect(await sippMessages(phone)).toContain('Voice-Message: 2/0 (0/0)');
  });

  test("attack: a phone cannot watch another extension's mailbox (403), nothing reaches the server", async () => {
    const phone = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-subscribe-mwi.xml'), '-s', '201', '-au', '202', '-ap', PW['202'], '-key', 'caller', '202',
      target(), '-i', PHONE_B, '-p', String(ports.B), '-m', '1'], 5);
    expect(phone.code).not.toBe(0);
    expect(await sippMessages(phone)).toMatch(/^SIP\/2\.0 403 Only the own mailbox can be watched/m);
    // Nothing of it went to the server.
    const callId = /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(phone))![1].trim();
    expect(ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out' && e.peer.startsWith(`${VM}:`))).toEqual([]);
  });
});
