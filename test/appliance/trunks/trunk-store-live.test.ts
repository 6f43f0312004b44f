import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * A trunk and a route added with the CLI to a running appliance (issue 14), nothing of it in
 * the config file: the real CLI (`trunk add ... --password -`, the password on stdin) stores
 * the trunk with its password sealed and tells the appliance; the slot-0 worker registers it
 * at a real Kamailio provider (127.0.91.2); `route add` makes an extension's call go out, and
 * 911 too (the first trunk is the emergency one). After a restart the trunk registers again
 * from the store and the call records are still there. The password never shows.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined && requireTool('sipp');
const HOST = '127.0.91.1';
const PROVIDER = '127.0.91.2';
const PHONE = '127.0.91.10';
const OUTSIDE = '127.0.91.30';
const TRUNK_PW = 'Trunk-Pass-Live-5';
const PW = { '201': 'Oscar-Pass-201' };
const MAIN = resolve(import.meta.dir, '../../../appliance/main.ts');

let provider: KamailioProvider;
let t: TestControlSection;
let providerPort = 0;
let outsidePort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
/** The real CLI in its own process; `stdin`: what it reads (a password for `--password -`). */
async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  // The same config, naming the web port the running appliance bound (the test's says 0: any).
  const configPath = join(t.dir, 'cli.toml');
  writeFileSync(configPath, readFileSync(t.configPath, 'utf8').replace(/(\[web\]\nlisten = "[^"]*"\nport = )0/, `$1${t.control.webPort}`));
  const proc = Bun.spawn([process.execPath, MAIN, '--config', configPath, ...args], { stdin: new TextEncoder().encode(stdin), stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out, err };
}
const call = async (dialled: string) => runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', dialled,
  '-au', '201', '-ap', PW['201'], '-key', 'caller', '201', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 20);
/**
 * The outside world answers; listening when this resolves. Behind the provider (Kamailio, several
 * UDP children relaying the ACK and the BYE independently) the BYE may come first.
 */
const outsideWorld = (calls: number) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer-any-order.xml'), '-i', OUTSIDE, '-p', String(outsidePort), '-m', String(calls)], 30);
const trunkState = () => t.control.view.trunks().find((s) => s.name === 'provider')?.state;

describe.skipIf(!HAVE)('a trunk and a route added with the CLI to the running appliance', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    outsidePort = await freePort(OUTSIDE);
    provider = await startKamailioProvider({ address: PROVIDER, port: providerPort, domain: 'provider.example', username: '5551230000', password: TRUNK_PW, outside: `${OUTSIDE}:${outsidePort}` });
    t = await startTestControlSection(HOST, { extensions: PW, tables: '[emergency]\nnumbers = ["911"]' });
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('trunk add (password from stdin): sealed in the store, its registrar found by RFC 3263 (SRV), registered at the provider by the running appliance', async () => {
    // The provider's name without a port: NAPTR (none), then SRV _sip._udp, then A (RFC 3263 §4), from the appliance's own zone.
    expect((await cli(['dns', 'add', 'kam.office.lan', 'A', PROVIDER])).code).toBe(0);
    expect((await cli(['dns', 'add', '_sip._udp.provider.office.lan', 'SRV', '10', '100', String(providerPort), 'kam.office.lan'])).code).toBe(0);
    const added = await cli(['trunk', 'add', 'provider', '--registrar', 'provider.office.lan', '--username', '5551230000',
      '--domain', 'provider.example', '--caller-id', '+15551230000', '--password', '-'], `${TRUNK_PW}\n`);
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toContain('added trunk provider (password sealed in the store)');
    expect(added.out).toContain('the running appliance uses it now');
    await until(() => trunkState() === 'up');
    expect(trunkState()).toBe('up');
    expect(await provider.waitForLog(/provider: registered sip:5551230000@provider\.example/)).toBe(true);
    const list = await cli(['trunk', 'list']);
    expect(list.out).toMatch(/^provider\tup\t-\texpires in \d+ s\tprovider\.office\.lan\tstore$/m);
  }, 20_000);

  test('route add: an extension\'s call goes out with the routed number; 911 leaves by the same trunk (the first is the emergency one)', async () => {
    const added = await cli(['route', 'add', 'national', '--pattern', '^9(1[2-9][0-9]{9})$', '--replace', '+$1', '--trunk', 'provider', '--class', 'national']);
    expect(added.code).toBe(0);
    const refused = await cli(['route', 'add', 'evil', '--pattern', '^(9+)+$', '--trunk', 'provider', '--class', 'local']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('pattern');
    expect(refused.err).toContain('catastrophic backtracking');
    await Bun.sleep(300);
    const world = await outsideWorld(2);
    expect((await call('912125551234')).code).toBe(0);
    expect((await call('911')).code).toBe(0);
    const trace = await sippMessages(await world.done);
    expect(trace).toMatch(/INVITE sip:\+12125551234@provider\.example/);
    expect(trace).toMatch(/INVITE sip:911@provider\.example/);
    expect(trace).toMatch(/P-Asserted-Identity: <sip:\+15551230000@provider\.example>/i);
    await until(() => t.control.store.callRecords.list().filter((c) => c.trunk === 'provider' && c.endedAt !== null).length === 2);
  }, 30_000);

  test('inbound add: a call from the outside world to the new DID rings extension 201', async () => {
    const added = await cli(['inbound', 'add', '--did', '+15551230100', '--trunk', 'provider', '--to', '201']);
    expect(added.code).toBe(0);
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
    await until(() => t.control.store.callRecords.list().some((c) => c.direction === 'inbound' && c.endedAt !== null));
    expect(t.control.store.callRecords.list().find((c) => c.direction === 'inbound')).toMatchObject({ trunk: 'provider', routedTo: '201', result: 200 });
  }, 30_000);

  test('after a restart: the store\'s trunk registers again (its sealed password opened), the call records are kept; the password never showed', async () => {
    const before = t.control.store.callRecords.list().filter((c) => c.trunk === 'provider').map((c) => [c.direction, c.routedTo, c.result]);
    expect(before).toEqual([['inbound', '201', 200], ['emergency', '911', 200], ['outbound', '+12125551234', 200]]); // newest first
    await t.control.stop();
    await t.restart();
    expect(t.control.store.callRecords.list().filter((c) => c.trunk === 'provider').map((c) => [c.direction, c.routedTo, c.result])).toEqual(before);
    await until(() => trunkState() === 'up');
    expect(trunkState()).toBe('up');
    const events = t.control.store.events.recent(500).map((e) => `${e.message} ${JSON.stringify(e.details ?? {})}`).join('\n');
    expect(events).toContain('trunk provider registered');
    expect(events).not.toContain(TRUNK_PW);
  }, 40_000);
});
