import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startWebServer, type RunningWebServer } from '../../../appliance/web/server.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSipp, startSippUas, type SippResult } from '../../support/sipp.ts';
import { ApiClient } from '../web/support/web-fixture.ts';
import { tagOf } from '../../support/sip-text.ts';

/**
 * Hang-up from the UI on the wire (docs/API.md "Hang-up"): a sipp caller calls a sipp callee
 * through the appliance with two workers, the admin hangs the call up through the API, and
 * each phone receives a BYE with the dialog's tags, its own Contact as Request-URI, the route
 * set beyond the appliance (the callee's side has a proxy of its own in front: its
 * Record-Route entry) and a CSeq above the last its peer used (also after a re-INVITE moved
 * the caller's), and answers 200. A second appliance does not know the call (404).
 */
const HOST = '127.1.38.1';
const CALLEE = '127.1.38.10';
const CALLER = '127.1.38.20';
const OTHER = '127.1.48.1';
const PW = 'Hangup-Pass-501';
const hasSipp = requireTool('sipp');

let a: TestControlSection;
let b: TestControlSection;
let webA: RunningWebServer;
let webB: RunningWebServer;
let api: ApiClient;
let apiB: ApiClient;

async function login(web: RunningWebServer): Promise<ApiClient> {
  const c = new ApiClient(web.url, web.certificate?.cert);
  expect((await c.json('POST', '/api/setup', { token: web.setupToken, password: 'Hangup-Admin-Pw-1' })).status).toBe(201);
  return c;
}

/** The first request of `method` a sipp run received, as text (with the trace's "TCP message received" line when `withLine`). */
async function received(r: SippResult, method: string, withLine = false): Promise<string> {
  const log = await sippMessages(r);
  // Each entry: a line of dashes and a time, "UDP message received [N] bytes :", the message.
  const entries = log.split(/-{5,}[^\n]*\n/).filter((x) => /^\S+ message received/.test(x));
  const hit = entries.find((x) => x.replace(/^[^\n]*\n/, '').trim().startsWith(`${method} `));
  if (!hit) throw new Error(`no ${method} in the sipp trace:\n${log.slice(0, 3000)}`);
  return withLine ? hit.trim() : hit.replace(/^[^\n]*\n/, '').trim();
}
const header = (msg: string, name: string) => msg.split(/\r?\n/).filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((l) => l.slice(name.length + 1).trim());

async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** Registers 501 at the callee's address and starts the two phones; resolves once the call is in the calls view. */
async function call(caller: string, callerTransport: 'u1' | 't1' = 'u1', calleeScenario = 'uas-answer-await-bye.xml') {
  const phonePort = await freePort(CALLEE);
  const reg = await runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '501', '-au', '501', '-ap', PW, '-key', 'expires', '3600',
    `${HOST}:${a.port}`, '-i', CALLEE, '-p', String(phonePort), '-m', '1'], 15);
  expect(reg.code).toBe(0);
  const callee = await startSippUas(['-sf', `${SCENARIOS}/${calleeScenario}`, '-i', CALLEE, '-p', String(phonePort), '-m', '1'], 25);
  const callerPort = await freePort(CALLER);
  const uac = startSipp(['-sf', `${SCENARIOS}/${caller}`, '-s', '501', `${HOST}:${a.port}`, '-i', CALLER, '-p', String(callerPort), '-t', callerTransport, '-m', '1'], 25);
  const active = await until('the call in the calls view', async () => {
    const list = (await api.json('GET', '/api/calls')).body.active as { callId: string; tags: [string, string] }[];
    return list.length > 0 ? list[0] : undefined;
  });
  return { callee, uac, active, phonePort, callerPort };
}

describe.skipIf(!hasSipp)('hang-up from the UI, two workers, sipp on both sides', () => {
  beforeAll(async () => {
    a = await startTestControlSection(HOST, { sip: `trusted = ["${CALLER}/32"]\ntransports = ["udp", "tcp"]`, extensions: { '501': PW } });
    b = await startTestControlSection(OTHER, { control: 'min_workers = 1\nmax_workers = 1' });
    webA = await startWebServer({ config: a.config, store: a.control.store, view: a.control.view });
    webB = await startWebServer({ config: b.config, store: b.control.store, view: b.control.view });
    api = await login(webA);
    apiB = await login(webB);
  }, 40_000);
  afterAll(async () => {
    await webA?.stop();
    await webB?.stop();
    await a?.stop();
    await b?.stop();
  });

  test('both phones get a BYE of the dialog and answer 200; the call ends as hung up by the admin', async () => {
    const { callee, uac, active, phonePort, callerPort } = await call('uac-await-bye.xml');
    const t0 = performance.now();
    const res = await api.json('POST', `/api/calls/${encodeURIComponent(active.callId)}/hangup`);
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.body.dialogs).toHaveLength(1);
    expect(res.body.dialogs[0].caller.status).toBe(200);
    expect(res.body.dialogs[0].callee.status).toBe(200);
    console.log(`hang-up: API request to both BYEs answered ${ms.toFixed(1)} ms (appliance's own count ${res.body.ms} ms)`);
    const [uacDone, calleeDone] = await Promise.all([uac.done, callee.done]);
    expect(uacDone.code).toBe(0);
    expect(calleeDone.code).toBe(0);

    const [callerTag, calleeTag] = active.tags;
    // To the caller: its Contact, the callee's tag in From, its own in To, no Route (nothing beyond us on its side).
    const toCaller = await received(uacDone, 'BYE');
    expect(toCaller.split(/\r?\n/)[0]).toBe(`BYE sip:caller@${CALLER}:${callerPort} SIP/2.0`);
    expect(tagOf(header(toCaller, 'From')[0])).toBe(calleeTag);
    expect(tagOf(header(toCaller, 'To')[0])).toBe(callerTag);
    expect(header(toCaller, 'Call-ID')).toEqual([active.callId]);
    expect(header(toCaller, 'Route')).toEqual([]);
    // The callee sent no request: above the INVITE's 1 (its number space was empty).
    expect(header(toCaller, 'CSeq')).toEqual(['2 BYE']);
    // To the callee: its Contact, through its own proxy (the Record-Route entry above ours).
    const toCallee = await received(calleeDone, 'BYE');
    expect(toCallee.split(/\r?\n/)[0]).toBe(`BYE sip:${CALLEE}:${phonePort};transport=UDP SIP/2.0`);
    expect(header(toCallee, 'Route')).toEqual([`<sip:${CALLEE}:${phonePort};lr;side=callee>`]);
    expect(tagOf(header(toCallee, 'From')[0])).toBe(callerTag);
    expect(tagOf(header(toCallee, 'To')[0])).toBe(calleeTag);
    expect(header(toCallee, 'CSeq')).toEqual(['2 BYE']);
    for (const m of [toCaller, toCallee]) expect(header(m, 'Max-Forwards')).toEqual(['70']);

    const calls = (await api.json('GET', '/api/calls')).body;
    expect(calls.active).toEqual([]);
    expect(calls.recent[0]).toMatchObject({ callId: active.callId, reason: 'hung up by the admin' });
    const records = await until('the call record ended', async () => {
      const r = (await api.json('GET', '/api/call-records')).body.records.find((x: { callId: string; endedAt: number | null }) => x.callId === active.callId && x.endedAt);
      return r;
    });
    expect(records.reason).toBe('hung up by the admin');
    const events = (await api.json('GET', '/api/events?kind=admin.hangup')).body as { kind: string; message: string }[];
    const logged = events.find((e) => e.message.includes(active.callId));
    expect(logged?.message).toContain(active.callId);
    expect(logged?.message).toContain('hung up by the admin (from ');
    // Hung up: the same Call-ID again is no call in progress.
    expect((await api.json('POST', `/api/calls/${encodeURIComponent(active.callId)}/hangup`)).status).toBe(404);
  }, 40_000);

  test('after a re-INVITE moved the caller\'s CSeq (on whichever worker), the callee\'s BYE goes above it', async () => {
    const { callee, uac, active } = await call('uac-reinvite-await-bye.xml');
    // The re-INVITE went through (its 200 went back to the caller, in the workers' own message
    // traces): hang up at once; the hang-up has the workers flush the dialog events they still
    // batch, so the re-INVITE's CSeq counts even if its event had not left its worker yet.
    await until('the re-INVITE answered', async () => {
      const steps = (await api.json('GET', `/api/calls/${encodeURIComponent(active.callId)}/ladder`)).body.steps as { from: string; to: string; label: string }[];
      return steps.filter((st) => st.from === 'appliance' && st.to === 'caller' && st.label.startsWith('200')).length >= 2 ? true : undefined;
    });
    const res = await api.json('POST', `/api/calls/${encodeURIComponent(active.callId)}/hangup`);
    expect(res.status).toBe(200);
    expect([res.body.dialogs[0].caller.status, res.body.dialogs[0].callee.status]).toEqual([200, 200]);
    const [uacDone, calleeDone] = await Promise.all([uac.done, callee.done]);
    expect(uacDone.code).toBe(0);
    expect(calleeDone.code).toBe(0);
    expect(header(await received(calleeDone, 'BYE'), 'CSeq')).toEqual(['3 BYE']);
    expect(header(await received(uacDone, 'BYE'), 'CSeq')).toEqual(['2 BYE']);
  }, 40_000);

  test('a caller over TCP gets its BYE over the connection its INVITE came on', async () => {
    const { callee, uac, active, callerPort } = await call('uac-await-bye.xml', 't1');
    const [state] = a.control.calls.hangupStates(active.callId);
    expect(state.state?.legs.caller.flow).toMatchObject({ transport: 'tcp', connection: expect.stringContaining(CALLER) });
    const res = await api.json('POST', `/api/calls/${encodeURIComponent(active.callId)}/hangup`);
    expect(res.status).toBe(200);
    expect([res.body.dialogs[0].caller.status, res.body.dialogs[0].callee.status]).toEqual([200, 200]);
    const [uacDone, calleeDone] = await Promise.all([uac.done, callee.done]);
    expect(uacDone.code).toBe(0);
    expect(calleeDone.code).toBe(0);
    const entry = await received(uacDone, 'BYE', true);
    expect(entry).toStartWith('TCP message received');
    const toCaller = entry.replace(/^[^\n]*\n/, '').trim();
    expect(toCaller.split(/\r?\n/)[0]).toBe(`BYE sip:caller@${CALLER}:${callerPort} SIP/2.0`);
    expect(header(toCaller, 'Via')[0]).toStartWith('SIP/2.0/TCP ');
  }, 40_000);

  test('a callee that lost the dialog answers 481: reported as such, and the call ends all the same (RFC 3261 §15.1.1)', async () => {
    const { callee, uac, active } = await call('uac-await-bye.xml', 'u1', 'uas-answer-bye-481.xml');
    const res = await api.json('POST', `/api/calls/${encodeURIComponent(active.callId)}/hangup`);
    expect(res.status).toBe(200);
    expect(res.body.dialogs[0].caller).toMatchObject({ status: 200 });
    expect(res.body.dialogs[0].callee).toMatchObject({ status: 481, reason: 'Call/Transaction Does Not Exist' });
    expect((await uac.done).code).toBe(0);
    expect((await callee.done).code).toBe(0);
    const calls = (await api.json('GET', '/api/calls')).body;
    expect(calls.active).toEqual([]);
    expect(calls.recent[0]).toMatchObject({ callId: active.callId, reason: 'hung up by the admin' });
    const events = (await api.json('GET', '/api/events?kind=admin.hangup')).body as { message: string; details: { callee: number } }[];
    expect(events.find((e) => e.message.includes(active.callId))?.details.callee).toBe(481);
  }, 40_000);

  test('attacks: no session, a wrong CSRF token, a forged Call-ID, a call of another appliance: refused, the call goes on', async () => {
    const { callee, uac, active } = await call('uac-await-bye.xml');
    const path = `/api/calls/${encodeURIComponent(active.callId)}/hangup`;
    const anonymous = new ApiClient(webA.url, webA.certificate?.cert);
    expect((await anonymous.json('POST', path)).status).toBe(401);
    const wrong = await api.call('POST', path, undefined, { 'X-CSRF-Token': 'not-the-token' });
    expect(wrong.status).toBe(403);
    for (const forged of ['no-such-call@127.1.38.1', `${active.callId}x`, '..%2F..%2Fapi%2Fsetup', '%00']) {
      expect((await api.json('POST', `/api/calls/${forged}/hangup`)).status).toBe(404);
    }
    // The other appliance's admin, with a good session there: not its call.
    expect((await apiB.json('POST', path)).status).toBe(404);
    expect(b.control.view.activeCalls()).toEqual([]);
    // Nothing was sent: the call is still in progress, and ends only when asked properly.
    expect((await api.json('GET', '/api/calls')).body.active.map((c: { callId: string }) => c.callId)).toEqual([active.callId]);
    expect((await api.json('POST', path)).status).toBe(200);
    expect((await uac.done).code).toBe(0);
    expect((await callee.done).code).toBe(0);
  }, 40_000);
});
