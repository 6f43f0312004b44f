import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { requireTool } from '../../support/require-tool.ts';
import { runSipp, SCENARIOS } from '../../support/sipp.ts';
import { digA, PeerPair, waitFor, workerBindings, type PairMember } from '../peers/support/peer-pair.ts';
import { ApiClient } from './support/web-fixture.ts';

/**
 * Issue 10 finding 12, "removing an extension leaves its phones registered, resolvable and
 * callable", as an attack test: sipp phones register, the admin removes their extensions
 * through the web API and through the CLI while the appliance runs (and once while it is
 * stopped); then no worker of A (two connection control sections) and no worker of its peer B
 * holds a binding, `dig` answers NXDOMAIN on both, and an INVITE gets what an unknown number
 * gets. Extensions replicate between peers (issue 19): the removal reaches B's extension list
 * too, so B answers 404 as well. A on 127.0.30.3, B on 127.0.30.4. Loopback only.
 */
const A = '127.0.30.3';
const B = '127.0.30.4';
const GATEWAY = '127.0.30.21';
const PHONES = { '311': '127.0.30.31', '312': '127.0.30.32', '313': '127.0.30.33', '314': '127.0.30.34' } as const;
const EXTENSIONS = Object.keys(PHONES);
const aor = (n: string) => `sip:${n}@office.lan`;
const hasTools = requireTool('sipp') && requireTool('dig');

let pair: PeerPair;
let api: ApiClient;

function cli(m: PairMember, ...args: string[]): Promise<{ code: number | undefined; lines: string[] }> {
  const lines: string[] = [];
  return runCli(['--config', m.path, ...args], { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) }).then((code) => ({ code, lines }));
}

/** Calls `ext` at `m` from the trusted gateway: one socket per call, so they spread over every worker. */
async function invite(m: PairMember, ext: string, expect: '404' | '480', calls = 8) {
  return runSipp(['-sf', join(SCENARIOS, `uac-expect-${expect}.xml`), '-s', ext, `${m.host}:${m.sipPort}`, '-i', GATEWAY,
    '-t', 'un', '-max_socket', '100', '-m', String(calls), '-r', String(calls)], 15);
}

/** Nothing left of `ext` at `m`: store, every worker, DNS. */
async function gone(m: PairMember, ext: string): Promise<boolean> {
  const store = m.control!.store.registrations.loadActive().some((b) => b.aor === aor(ext));
  const workers = await workerBindings(m, aor(ext));
  return !store && workers.bindings === 0 && workers.workers === m.control!.pool.workers.length;
}

async function registeredEverywhere(ext: string): Promise<void> {
  const ok = await waitFor(async () => (await workerBindings(pair.a, aor(ext))).bindings === 2 && (await workerBindings(pair.b, aor(ext))).bindings === 1, 3000);
  expect(ok).toBeGreaterThanOrEqual(0);
  expect((await digA(pair.a, `${ext}.office.lan`)).answers).toEqual([PHONES[ext as keyof typeof PHONES]]);
  expect((await digA(pair.b, `${ext}.office.lan`)).answers).toEqual([PHONES[ext as keyof typeof PHONES]]);
}

describe.skipIf(!hasTools)('removing an extension removes its phones everywhere', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: [A, B], workers: [2, 1], trusted: [GATEWAY], extensions: [EXTENSIONS, EXTENSIONS],
      // Samples only when the test takes them, so one sample period covers exactly its calls.
      sampleSchedule: '0 0 * * * *' });
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => pair.b.control!.peers.links[0].state === 'up' && a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    api = new ApiClient(`http://${A}:${a.webPort}`);
    expect((await api.json('POST', '/api/setup', { token: a.webSetupToken, password: 'Removal-Admin-7#qLx2' })).status).toBe(201);
    // 311 and 313 register at A, 312 and 314 at B: each appliance holds the other's by replication.
    await pair.register(pair.a, '311', PHONES['311']);
    await pair.register(pair.b, '312', PHONES['312']);
    await pair.register(pair.a, '313', PHONES['313']);
    await pair.register(pair.b, '314', PHONES['314']);
  }, 60_000);
  afterAll(async () => {
    await pair?.stop();
  });

  test('through the web API: gone from every worker of A and B, NXDOMAIN, 404 at A', async () => {
    await registeredEverywhere('311');
    const res = await api.call('DELETE', '/api/extensions/311');
    expect(res.status).toBe(204);
    const took = await waitFor(async () => (await gone(pair.a, '311')) && (await gone(pair.b, '311')), 3000);
    expect(took).toBeGreaterThanOrEqual(0);
    console.log(`API removal: bindings gone on both workers of A and on B in ${took} ms`);
    expect((await digA(pair.a, '311.office.lan')).status).toBe('NXDOMAIN');
    expect((await digA(pair.b, '311.office.lan')).status).toBe('NXDOMAIN');
    // At A the number is unknown now: the same 404 as a number that never existed.
    await pair.a.control!.sampleNow();
    expect((await invite(pair.a, '311', '404')).code).toBe(0);
    expect((await invite(pair.a, '319', '404')).code).toBe(0);
    // Both of A's workers answered some of them (one socket per call spreads them), so neither kept the phone.
    const state = await pair.a.control!.sampleNow();
    expect(state.workers).toHaveLength(2);
    for (const w of state.workers) expect(w.requestsPerSecond.INVITE ?? 0).toBeGreaterThan(0);
    // The removal replicated: B no longer has the number either, so B answers 404 too.
    expect(await waitFor(() => pair.b.control!.store.extensions.get('311') === undefined, 3000)).toBeGreaterThanOrEqual(0);
    expect((await invite(pair.b, '311', '404', 2)).code).toBe(0);
    expect(pair.a.control!.store.events.recent(20, 'admin.extension.remove').map((e) => e.details.number)).toContain('311');
  }, 40_000);

  test('through the CLI while the appliance runs: takes effect at once, on A and on B', async () => {
    await registeredEverywhere('312');
    const r = await cli(pair.a, 'extension', 'remove', '312');
    expect(r).toEqual({ code: 0, lines: ['removed extension 312', 'its phones were unregistered on the running appliance'] });
    // 312's phone registered at B: A's removal reaches B through replication.
    const took = await waitFor(async () => (await gone(pair.a, '312')) && (await gone(pair.b, '312')), 3000);
    expect(took).toBeGreaterThanOrEqual(0);
    console.log(`CLI removal: bindings gone on A and B in ${took} ms`);
    expect((await digA(pair.a, '312.office.lan')).status).toBe('NXDOMAIN');
    expect((await digA(pair.b, '312.office.lan')).status).toBe('NXDOMAIN');
    expect((await invite(pair.a, '312', '404')).code).toBe(0);
    // The number went from B's list too: B's CLI finds nothing to remove, and B answers 404.
    expect(await waitFor(() => pair.b.control!.store.extensions.get('312') === undefined, 3000)).toBeGreaterThanOrEqual(0);
    const again = await cli(pair.b, 'extension', 'remove', '312');
    expect(again.code).toBe(1);
    expect(again.lines.join('\n')).toContain('extension 312 does not exist');
    expect((await invite(pair.b, '312', '404', 2)).code).toBe(0);
  }, 40_000);

  test('through the CLI while the appliance is stopped: its phones are gone when it starts', async () => {
    await registeredEverywhere('313');
    await pair.stopMember(pair.a);
    const r = await cli(pair.a, 'extension', 'remove', '313');
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('removed extension 313');
    expect(r.lines[1]).toMatch(/^the appliance was not told .*its phones are unregistered when it starts$/);
    await pair.start(pair.a);
    expect(await waitFor(() => gone(pair.a, '313'), 3000)).toBeGreaterThanOrEqual(0);
    expect((await digA(pair.a, '313.office.lan')).status).toBe('NXDOMAIN');
    expect((await invite(pair.a, '313', '404')).code).toBe(0);
    // 314 (kept) is still served: the clean-up removes only what has no extension.
    expect((await workerBindings(pair.a, aor('314'))).bindings).toBe(2);
    // Back in the group, A's offline removal reaches B (full sync on rejoin): gone there too.
    expect(await waitFor(async () => pair.b.control!.store.extensions.get('313') === undefined && (await gone(pair.b, '313')), 5000)).toBeGreaterThanOrEqual(0);
    expect((await digA(pair.b, '313.office.lan')).status).toBe('NXDOMAIN');
  }, 40_000);

  test('defence in depth: a binding left in memory for a removed extension publishes nothing and routes nowhere', async () => {
    // Remove 314 from B's store behind its back (another connection, no notification, nothing
    // replicated): B's workers still hold the binding, yet answer as for an unknown number.
    pair.withStore(pair.b, (store) => store.extensions.remove('314'));
    expect((await workerBindings(pair.b, aor('314'))).bindings).toBe(1);
    expect(await waitFor(async () => (await digA(pair.b, '314.office.lan')).status === 'NXDOMAIN', 3000)).toBeGreaterThanOrEqual(0);
    expect((await invite(pair.b, '314', '404', 2)).code).toBe(0);
  }, 30_000);
});
