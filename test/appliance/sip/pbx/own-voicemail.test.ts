import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { CallFeaturesService } from '../../../../appliance/admin/call-features-service.ts';
import { voicemailUriCheck } from '../../../../appliance/admin/voicemail-uri-check.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../../support/sipp.ts';

/**
 * An extension's own voicemail server (issue 15) with sipp "voicemail servers": 201 names its
 * own (127.1.15.106), 202 keeps the office's `[voicemail] uri` (127.1.15.105). 201's busy call
 * reaches its own server with the mailbox in the Request-URI (RFC 4458), History-Info and
 * Diversion, nothing reaches the office's; its MWI SUBSCRIBE (RFC 3842) goes to its own server,
 * 202's to the office's. The appliance on 127.1.15.101, phones on 127.1.15.110-111, a trusted
 * gateway on 127.1.15.120.
 */
const HOST = '127.1.15.101';
const PHONE_A = '127.1.15.110';
const PHONE_B = '127.1.15.111';
const OFFICE_VM = '127.1.15.105';
const OWN_VM = '127.1.15.106';
const GATEWAY = '127.1.15.120';
const PW: Record<string, string> = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027' };
const hasSipp = requireTool('sipp');
const uacCall = join(SHARED, 'bench/sipp/uac-call.xml');

let ap: TestAppliance;
const ports: Record<string, number> = {};
const target = () => `${HOST}:${ap.port}`;
const server = (ip: string, scenario: string) => startSippUas(['-sf', join(SCENARIOS, scenario), '-i', ip, '-p', String(ports[ip]), '-m', '1'], 15);
const sentTo = (callId: string, ip: string) => ap.app.sip.service.trace.get(callId).filter((e) => e.dir === 'out' && e.peer.startsWith(`${ip}:`));
const callIdOf = async (r: Parameters<typeof sippMessages>[0]) => /Call-ID: *([^\r\n]+)/i.exec(await sippMessages(r))![1].trim();
const subscribe = async (account: string, as: string, ip: string) => runSipp(['-sf', join(SCENARIOS, 'uac-auth-subscribe-mwi.xml'), '-s', account,
  '-au', as, '-ap', PW[as], '-key', 'caller', as, target(), '-i', ip, '-p', String(ports[ip]), '-m', '1'], 10);

describe.skipIf(!hasSipp)('per-extension voicemail with sipp voicemail servers', () => {
  beforeAll(async () => {
    for (const ip of [PHONE_A, PHONE_B, OFFICE_VM, OWN_VM]) ports[ip] = await freePort(ip);
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]\n[voicemail]\nuri = "sip:vm@${OFFICE_VM}:${ports[OFFICE_VM]}"` });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    new CallFeaturesService(ap.app.store, undefined, voicemailUriCheck(ap.config, ap.app.store)).voicemail('201', `sip:mailbox201@${OWN_VM}:${ports[OWN_VM]}`);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '201', '-au', '201', '-ap', PW['201'], '-key', 'expires', '3600',
      target(), '-i', PHONE_A, '-p', String(ports[PHONE_A]), '-m', '1'], 10);
    expect(reg.code).toBe(0);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test("a busy call to 201 reaches 201's own server, the extension named in the R-URI, History-Info and Diversion; nothing reaches the office's", async () => {
    const busy = await startSippUas(['-sf', join(SCENARIOS, 'uas-486.xml'), '-i', PHONE_A, '-p', String(ports[PHONE_A]), '-m', '1'], 15);
    const vm = await server(OWN_VM, 'uas-answer.xml');
    const caller = await runSipp(['-sf', uacCall, '-s', '201', target(), '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
    expect(caller.code).toBe(0);
    expect((await busy.done).code).toBe(0);
    const got = await vm.done;
    expect(got.code).toBe(0);
    const trace = await sippMessages(got);
    const uri = `sip:mailbox201@${OWN_VM}:${ports[OWN_VM]};target=sip:201%40office.lan;cause=486`;
    expect(trace).toContain(`INVITE ${uri} SIP/2.0`);
    expect(trace).toContain(`History-Info: <sip:201@office.lan>;index=1, <${uri}>;index=1.1;mp=1`);
    expect(trace).toContain('Diversion: <sip:201@office.lan>;reason=user-busy;counter=1');
    expect(sentTo(await callIdOf(caller), OFFICE_VM)).toEqual([]);
  });

  test("MWI: 201's SUBSCRIBE goes to its own server, 202's to the office's; each NOTIFY reaches the phone", async () => {
    const own = await server(OWN_VM, 'uas-voicemail-mwi.xml');
    const a = await subscribe('201', '201', PHONE_A);
    expect(a.code).toBe(0);
    expect((await own.done).code).toBe(0);
    expect(await sippMessages(await own.done)).toMatch(/^SUBSCRIBE sip:201@office\.lan SIP\/2\.0/m);
    expect(sentTo(await callIdOf(a), OFFICE_VM)).toEqual([]);
    const office = await server(OFFICE_VM, 'uas-voicemail-mwi.xml');
    const b = await subscribe('202', '202', PHONE_B);
    expect(b.code).toBe(0);
    expect((await office.done).code).toBe(0);
    expect(sentTo(await callIdOf(b), OWN_VM)).toEqual([]);
  });

  test("attack: 202 cannot watch 201's mailbox at 201's own server (403), nothing reaches it", async () => {
    const r = await subscribe('201', '202', PHONE_B);
    expect(r.code).not.toBe(0);
    expect(await sippMessages(r)).toMatch(/^SIP\/2\.0 403 Only the own mailbox can be watched/m);
    expect(sentTo(await callIdOf(r), OWN_VM)).toEqual([]);
  });
});
