import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * Fail-over between trunks (issue 14) with two real providers: Kamailio on 127.0.90.2 (trunk
 * "provider", which answers every call 503) and on 127.0.90.3 (trunk "backup"); the route has
 * `failover = "backup"`. A call is refused 503 by the first and completes over the second,
 * with the backup account's caller ID; with the first provider stopped the call waits out its
 * silence (4 s) once, then goes to the backup at once. Call records name the trunk the call took.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined && requireTool('sipp');
const HOST = '127.0.90.1';
const P1 = '127.0.90.2';
const P2 = '127.0.90.3';
const PHONE = '127.0.90.10';
const OUTSIDE = '127.0.90.30';
const PW = { '201': 'Oscar-Pass-201' };

let first: KamailioProvider;
let second: KamailioProvider;
let t: TestControlSection;
let outsidePort = 0;
let stoppedAt = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
const call = async (dialled: string) => runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', dialled,
  '-au', '201', '-ap', PW['201'], '-key', 'caller', '201', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 20);
/** The outside world answers; listening when this resolves. ACK and BYE may come in either order (uas-answer-any-order.xml). */
const outsideWorld = (calls: number) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', OUTSIDE, '-p', String(outsidePort), '-m', String(calls)], 30);
const records = () => t.control.store.callRecords.list();

describe.skipIf(!HAVE)('fail-over to a second trunk (two real providers)', () => {
  beforeAll(async () => {
    const [p1, p2] = [await freePort(P1), await freePort(P2)];
    outsidePort = await freePort(OUTSIDE);
    [first, second] = await Promise.all([
      startKamailioProvider({ address: P1, port: p1, domain: 'provider.example', username: '5551230000', password: 'Trunk-Pass-One-1', outside: `${OUTSIDE}:${outsidePort}`, refuseCalls: '503 Service Unavailable' }),
      startKamailioProvider({ address: P2, port: p2, domain: 'backup.example', username: '5559870000', password: 'Trunk-Pass-Two-2', outside: `${OUTSIDE}:${outsidePort}` }),
    ]);
    t = await startTestControlSection(HOST, {
      extensions: PW,
      tables: [
        '[[trunks]]', 'name = "provider"', `registrar = "${P1}:${p1}"`, 'username = "5551230000"', 'password = "Trunk-Pass-One-1"',
        'domain = "provider.example"', 'caller_id = "+15551230000"', 'keepalive = 1',
        '[[trunks]]', 'name = "backup"', `registrar = "${P2}:${p2}"`, 'username = "5559870000"', 'password = "Trunk-Pass-Two-2"',
        'domain = "backup.example"', 'caller_id = "+15559870000"',
        '[[routes]]', 'name = "national"', 'pattern = "^9(1[2-9][0-9]{9})$"', 'replace = "+$1"', 'trunk = "provider"', 'class = "national"', 'failover = ["backup"]',
        '[emergency]', 'numbers = ["911"]', 'trunk = "provider"',
      ].join('\n'),
    });
    await until(() => t.control.view.trunks().every((s) => s.state === 'up'));
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await Promise.all([first?.stop(), second?.stop()]);
  });

  test('the first provider answers 503: the call completes over the backup trunk, with its account and caller ID', async () => {
    expect(t.control.view.trunks().map((s) => s.state)).toEqual(['up', 'up']);
    const world = await outsideWorld(1);
    const r = await call('912125551234');
    expect(r.code).toBe(0);
    const far = await world.done;
    expect(far.code).toBe(0);
    const trace = await sippMessages(far);
    expect(trace).toMatch(/INVITE sip:\+12125551234@backup\.example/);
    expect(trace).toMatch(/P-Asserted-Identity: <sip:\+15559870000@backup\.example>/i);
    expect(await first.waitForLog(/provider: refused \+12125551234 with 503/)).toBe(true);
    expect(await second.waitForLog(/provider: outbound \+12125551234 from/)).toBe(true);
    await until(() => records().some((c) => c.routedTo === '+12125551234' && c.endedAt !== null));
    expect(records().find((c) => c.routedTo === '+12125551234')).toMatchObject({ direction: 'outbound', trunk: 'backup', result: 200 });
    expect(t.control.store.events.recent(10, 'trunk.failover')[0]?.message).toContain('over trunk backup instead of provider');
  }, 30_000);

  test('the first provider gone: one call waits out its silence (4 s) then goes over the backup; the next goes there at once', async () => {
    await first.stop();
    stoppedAt = Date.now();
    const world = await outsideWorld(2);
    const a = Date.now();
    const r1 = await call('913125550001');
    const firstMs = Date.now() - a;
    expect(r1.code).toBe(0);
    expect(firstMs).toBeGreaterThan(3500);
    const b = Date.now();
    const r2 = await call('913125550002');
    const nextMs = Date.now() - b;
    expect(r2.code).toBe(0);
    const far = await world.done;
    if (far.code !== 0) console.log('trunk-failover: the outside sipp failed', far.out.slice(-3000), await sippMessages(far));
    expect(far.code).toBe(0);
    // The second call never tried the silent provider: it was down on every worker (trunk.unreachable).
    expect(nextMs).toBeLessThan(3000);
    console.log(`first provider gone: first call answered over the backup after ${firstMs} ms, the next after ${nextMs} ms`);
    await until(() => records().filter((c) => c.routedTo?.startsWith('+1312555000') && c.endedAt !== null).length === 2);
    const ours = records().filter((c) => c.routedTo?.startsWith('+1312555000'));
    const unreachable = t.control.store.events.recent(10, 'trunk.unreachable');
    // What a failure here needs to be understood (it failed once in CI, timing unknown).
    if (!unreachable.some((e) => e.message.includes('trunk provider')) || ours.some((c) => c.trunk !== 'backup' || c.result !== 200)) {
      console.log('trunk-failover diagnostics', JSON.stringify({ ours, unreachable, events: t.control.store.events.recent(30) }));
    }
    expect(unreachable.some((e) => e.message.includes('trunk provider'))).toBe(true);
    expect(ours.map((c) => [c.trunk, c.result])).toEqual([['backup', 200], ['backup', 200]]);
  }, 40_000);

  test('the provider gone shows as down within seconds (OPTIONS keep-alive, keepalive = 1), not at the next registration refresh', async () => {
    // The first provider was stopped in the test before; its trunk is registered for an hour.
    const state = () => t.control.view.trunks().find((s) => s.name === 'provider');
    await until(() => state()?.state === 'failed', 15_000);
    expect(state()).toMatchObject({ state: 'failed', reason: 'no answer to the OPTIONS keep-alive (provider gone?)' });
    const down = t.control.store.events.recent(20, 'trunk.failed').find((e) => e.message.includes('keep-alive'));
    expect(down).toBeDefined();
    console.log(`first provider gone: trunk shown failed ${down!.ts - stoppedAt} ms after the provider stopped`);
    expect(down!.ts - stoppedAt).toBeLessThan(8000);
    expect(state()?.state).toBe('failed');
    expect(t.control.view.trunks().find((s) => s.name === 'backup')?.state).toBe('up');
  }, 20_000);
});
