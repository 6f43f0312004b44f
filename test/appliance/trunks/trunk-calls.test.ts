import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider, providerTrunk } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * The outside line with a real provider (issue 14): Kamailio 5.6 on 127.0.181.2 is the
 * provider (registrar, digest for the trunk account, calls for numbers to "the outside world",
 * a sipp UAS on 127.0.181.30, and calls from there to the trunk's number back to us). The
 * appliance (127.0.181.1, two workers) registers the trunk; an extension's phone (sipp on
 * 127.0.181.10) calls out through a route (407 from the provider answered with the trunk
 * account), is refused a class it may not call and beyond its limit, calls the emergency
 * number while the appliance sheds and its class forbids even national calls, and takes an
 * inbound call to the DID; a trunk reported down gets 503 at once. Call records for each.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined && requireTool('sipp');
const HOST = '127.0.181.1';
const PROVIDER = '127.0.181.2';
const PHONE = '127.0.181.10';
const OUTSIDE = '127.0.181.30';
const TRUNK_PW = 'Trunk-Pass-Calls-1';
const PW = { '201': 'Oscar-Pass-201' };

let provider: KamailioProvider;
let t: TestControlSection;
let providerPort = 0;
let outsidePort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
/** The phone of 201 calls `dialled` (digest to us first); `hold` ms before its BYE. */
const call = async (dialled: string, scenario = 'uac-auth-call.xml', hold?: number) => runSipp(['-sf', join(SCENARIOS, scenario), '-s', dialled,
  '-au', '201', '-ap', PW['201'], '-key', 'caller', '201', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1',
  ...(hold ? ['-d', String(hold)] : [])], 20);
/** The outside world answers; listening when this resolves. ACK and BYE may come in either order (uas-answer-any-order.xml). */
const outsideWorld = (calls: number) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', OUTSIDE, '-p', String(outsidePort), '-m', String(calls)], 30);
const records = () => t.control.store.callRecords.list();
/**
 * 201's limits changed as the web UI changes them: the store, then the workers told at once
 * (`storeChanged`, as control-web.ts does), not at their next 1 s data_version poll.
 */
const permit = (patch: Record<string, unknown>) => {
  new ExtensionService(t.control.store, t.config.sip.domain).update({ number: '201', ...patch });
  t.control.view.storeChanged();
};

describe.skipIf(!HAVE)('calls over a trunk to a real provider', () => {
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
        '[[routes]]', 'name = "international"', 'pattern = "^9011([0-9]{6,15})$"', 'replace = "+$1"', 'trunk = "provider"', 'class = "international"',
        '[[inbound]]', 'did = "+15551230100"', 'trunk = "provider"', 'to = "201"',
        '[emergency]', 'numbers = ["911", "112"]', 'trunk = "provider"',
      ].join('\n'),
    });
    await until(() => t.control.view.trunks()[0]?.state === 'up');
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('the trunk registers; an extension calls out: the provider gets the routed number and our caller ID, its 407 answered', async () => {
    expect(t.control.view.trunks()[0].state).toBe('up');
    const world = await outsideWorld(1);
    const r = await call('912125551234');
    expect(r.code).toBe(0);
    // One challenge reached the phone: ours. The provider's went to us and was answered there.
    expect((await sippMessages(r)).match(/SIP\/2\.0 407 /g)).toHaveLength(1);
    const far = await world.done;
    expect(far.code).toBe(0);
    const trace = await sippMessages(far);
    expect(trace).toMatch(/INVITE sip:\+12125551234@/);
    expect(trace).toMatch(/P-Asserted-Identity: <sip:\+15551230000@provider\.example>/i);
    // The provider challenged our INVITE and accepted the trunk account's answer.
    expect(await provider.waitForLog(/provider: outbound \+12125551234 from/)).toBe(true);
    await until(() => records().some((c) => c.routedTo === '+12125551234' && c.endedAt !== null));
    expect(records().find((c) => c.routedTo === '+12125551234')).toMatchObject({ direction: 'outbound', trunk: 'provider', result: 200, from: 'sip:201@office.lan' });
  }, 30_000);

  test('an international number for a national extension: 403 with the reason, nothing reaches the provider', async () => {
    const before = provider.log().length;
    const r = await call('9011441234567890', 'uac-auth-call-refused.xml');
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toContain('SIP/2.0 403 Call class international not permitted');
    expect(provider.log().slice(before)).not.toContain('outbound +441234567890');
    expect(t.control.store.events.recent(10, 'trunk.refused').length).toBeGreaterThanOrEqual(1);
  }, 20_000);

  test('one outside call at once: a second one while the first is up is 403', async () => {
    permit({ maxOutsideCalls: 1 });
    const world = await outsideWorld(1);
    const first = call('913125550001', 'uac-auth-call-hold.xml', 4000);
    await until(() => records().some((c) => c.routedTo === '+13125550001' && c.answeredAt !== null && c.endedAt === null));
    const second = await call('913125550002', 'uac-auth-call-refused.xml');
    expect(await sippMessages(second)).toContain('SIP/2.0 403 Too many outside calls');
    expect((await first).code).toBe(0);
    expect((await world.done).code).toBe(0);
    permit({ maxOutsideCalls: 2 });
  }, 30_000);

  test('outside calls per hour: once the hour\'s allowance is used, the next is 403 and never reaches the provider', async () => {
    permit({ outsideCallsPerHour: 1 });
    const before = provider.log().length;
    const r = await call('914155550101', 'uac-auth-call-refused.xml');
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toContain('SIP/2.0 403 Outside call limit per hour reached');
    expect(provider.log().slice(before)).not.toContain('+14155550101');
    // Kept for the emergency test below: its limits must not stop 911.
  }, 20_000);

  test('emergency: out while the appliance sheds every new call, the caller may not even call nationally, and its hourly allowance is used up', async () => {
    permit({ callClass: 'internal' });
    // Shedding in force on every worker: no new call is admitted (the control section's admission).
    for (const w of t.control.pool.workers) t.control.pool.send(w, { type: 'admission', admission: { callsPerSecond: 0, registersPerSecond: 0, retryAfterSeconds: 5 } });
    await Bun.sleep(200);
    const shed = await call('914155550000', 'uac-auth-call-refused.xml');
    expect(await sippMessages(shed)).toMatch(/SIP\/2\.0 503 /);
    const world = await outsideWorld(1);
    const r = await call('911');
    expect(r.code).toBe(0);
    expect((await world.done).code).toBe(0);
    expect(await provider.waitForLog(/provider: outbound 911 from/)).toBe(true);
    await until(() => records().some((c) => c.direction === 'emergency' && c.endedAt !== null));
    expect(records().find((c) => c.direction === 'emergency')).toMatchObject({ trunk: 'provider', routedTo: '911', result: 200 });
    for (const w of t.control.pool.workers) t.control.pool.send(w, { type: 'admission', admission: null });
    permit({ callClass: 'national', outsideCallsPerHour: 30 });
  }, 30_000);

  test('inbound: a call from the outside world to the DID rings extension 201; an unknown number is 404', async () => {
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '201', '-au', '201', '-ap', PW['201'],
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    // The caller hangs up right after its ACK, through Kamailio's UDP children and our workers: ACK and BYE in either order.
    const phone = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', PHONE, '-p', String(phonePort), '-m', '1'], 20);
    const caller = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '+15551230100', `${PROVIDER}:${providerPort}`,
      '-i', OUTSIDE, '-p', String(await freePort(OUTSIDE)), '-m', '1'], 20);
    expect(caller.code).toBe(0);
    expect((await phone.done).code).toBe(0);
    await until(() => records().some((c) => c.direction === 'inbound' && c.endedAt !== null));
    expect(records().find((c) => c.direction === 'inbound')).toMatchObject({ trunk: 'provider', routedTo: '201', result: 200 });
    const unknown = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-404.xml'), '-s', '+15551239999', `${PROVIDER}:${providerPort}`,
      '-i', OUTSIDE, '-p', String(await freePort(OUTSIDE)), '-m', '1'], 20);
    expect(unknown.code).toBe(0);
  }, 40_000);

  test('attack: a stranger sending to the DID as if it were the provider is challenged, never put through; no one dials out unauthenticated', async () => {
    // From an address that is not the provider's: the DID is no key to the office.
    const stranger = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '+15551230100', `${HOST}:${t.port}`,
      '-i', '127.0.181.66', '-p', String(await freePort('127.0.181.66')), '-m', '1'], 10);
    expect(stranger.code).not.toBe(0);
    expect(await sippMessages(stranger)).toMatch(/SIP\/2\.0 407 /);
    // An outside number without credentials: the same challenge, and nothing reaches the provider.
    const before = provider.log().length;
    const dialOut = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '912125559999', `${HOST}:${t.port}`,
      '-i', '127.0.181.66', '-p', String(await freePort('127.0.181.66')), '-m', '1'], 10);
    expect(await sippMessages(dialOut)).toMatch(/SIP\/2\.0 407 /);
    expect(provider.log().slice(before)).not.toContain('+12125559999');
  }, 30_000);

  test('the provider gone: the first call is given up after 4 s (not Timer B\'s 32 s), the next get 503 at once', async () => {
    await provider.stop();
    const first = Date.now();
    const r = await call('917185550000', 'uac-auth-call-refused.xml');
    const firstMs = Date.now() - first;
    // 408 from us (no answer at all), in 8·T1: the refused scenario expects 403/503, so it fails.
    expect(await sippMessages(r)).toMatch(/SIP\/2\.0 408 /);
    expect(firstMs).toBeLessThan(8000);
    const next = Date.now();
    const again = await call('917185550001', 'uac-auth-call-refused.xml');
    expect(again.code).toBe(0);
    expect(await sippMessages(again)).toContain('SIP/2.0 503 Trunk Unavailable');
    expect(Date.now() - next).toBeLessThan(3000);
    console.log(`provider gone: first call given up after ${firstMs} ms, the next refused with 503 after ${Date.now() - next} ms`);
    expect(t.control.store.events.recent(10, 'trunk.unreachable').length).toBeGreaterThanOrEqual(1);
    // A final response we made ourselves (the 408) is a call record too.
    await until(() => records().some((c) => c.routedTo === '+17185550000'));
    expect(records().find((c) => c.routedTo === '+17185550000')).toMatchObject({ direction: 'outbound', result: 408, answeredAt: null });
  }, 30_000);

  test('a trunk reported down: its calls get 503 at once, not a timeout', async () => {
    const down = { name: 'provider', state: 'failed', reason: 'no answer from the registrar (timeout)', registrar: `${PROVIDER}:${providerPort}`, expiresAt: undefined, retryAt: Date.now() + 30_000 } as const;
    for (const w of t.control.pool.workers) t.control.pool.send(w, { type: 'trunk-status', status: down });
    await Bun.sleep(200);
    const started = Date.now();
    const r = await call('916175550000', 'uac-auth-call-refused.xml');
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toContain('SIP/2.0 503 Trunk Unavailable');
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);
});
