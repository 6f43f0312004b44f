import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { peerHeaders } from '../../../appliance/peers/peer-auth.ts';
import { CONFIG_PATH } from '../../../appliance/peers/config-replication.ts';
import type { PeerConfig } from '../../../system/config/index.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS } from '../../support/sipp.ts';

/**
 * Replicated configuration in a group of three (issue 19): A, B and C on 127.1.19.x. An
 * extension added on one member reaches the others within a second; a split (C's peer links
 * pointed at a closed port on every side) with a deletion on each side heals with the deletions
 * kept and the newer edit winning; a password changed on A works on B once A is gone.
 */
const HOSTS = { a: '127.1.19.2', b: '127.1.19.3', c: '127.1.19.4' } as const;
type Name = keyof typeof HOSTS;
const SECRET = 'peer-secret-for-the-config-group';
const PW = 'Corr3ct-Horse-Battery';
let dir: string;
const sections = {} as Record<Name, ControlSection>;
const ports = {} as Record<Name, { sip: number; web: number }>;
const ext = (n: Name) => new ExtensionService(sections[n].store, 'office.lan');
const has = (n: Name, number: string) => sections[n].store.extensions.get(number);

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return Date.now() - t0;
    await Bun.sleep(10);
  }
  throw new Error(`not within ${ms} ms`);
}

async function register(number: string, on: Name, password: string): Promise<number> {
  const phone = '127.1.19.10';
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', number, '-au', number, '-ap', password, '-key', 'expires', '60',
    `${HOSTS[on]}:${ports[on].sip}`, '-i', phone, '-p', String(await freePort(phone)), '-m', '1', '-timeout', '5s'], 10);
  return r.code;
}

/** Points the links towards `n` (and n's own links) at a closed port, or back. */
function split(n: Name, on: boolean): void {
  for (const s of Object.values(sections)) {
    for (const link of s.peers.links) {
      if (s !== sections[n] && link.name !== n) continue;
      const real = `https://${HOSTS[link.name as Name]}:${ports[link.name as Name].web}`;
      (link as unknown as { config: PeerConfig }).config = { ...link.config, url: on ? 'https://127.1.19.9:9' : real };
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'config-replication-'));
  for (const n of Object.keys(HOSTS) as Name[]) ports[n] = { sip: await freePort(HOSTS[n]), web: await freeTcpPort(HOSTS[n]) };
  for (const n of ['c', 'b', 'a'] as Name[]) {
    const others = (Object.keys(HOSTS) as Name[]).filter((o) => o !== n);
    const path = join(dir, `${n}.toml`);
    writeFileSync(path, `name = "${n}"\ndata_dir = "${dir}/${n}"\n[sip]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].sip}\ntransports = ["udp"]\n` +
      `[dns]\nenabled = false\n[web]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].web}\n[control]\nmin_workers = 1\nmax_workers = 1\nheartbeat_seconds = 1\n` +
      others.map((o) => `[[peers]]\nname = "${o}"\nurl = "https://${HOSTS[o]}:${ports[o].web}"\nsip = "${HOSTS[o]}:${ports[o].sip}"\nsecret = "${SECRET}"\n`).join(''));
    sections[n] = await startControlSection(loadConfig(path), { configArg: path, workerOutput: 'ignore' });
  }
  await waitFor(() => Object.values(sections).every((s) => s.peers.links.every((l) => l.state === 'up')), 10_000);
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(sections)) await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replicated configuration in a group of three', () => {
  test('an extension added on B registers a phone on C within a second; the row names B as its origin', async () => {
    ext('b').add({ number: '301', password: PW, displayName: 'Reception' });
    const ms = await waitFor(() => has('c', '301') !== undefined && has('a', '301') !== undefined, 1000);
    console.log(`extension added on B in A's and C's store after ${ms} ms`);
    expect(await register('301', 'c', PW)).toBe(0);
    expect(sections.c.store.configVersions.version('extension', '301')).toMatchObject({ origin: 'b', deleted: false });
  });

  test('a split with a deletion on each side heals: the deletions stay, the newer edit wins', async () => {
    for (const n of ['302', '303', '304']) ext('a').add({ number: n, password: PW, displayName: `x${n}` });
    await waitFor(() => ['302', '303', '304'].every((n) => has('c', n) && has('b', n)), 2000);
    split('c', true);
    await waitFor(() => sections.c.peers.links.every((l) => l.state === 'down') && sections.a.peers.links.find((l) => l.name === 'c')!.state === 'down', 8000);
    // During the split: C removes 302 and edits 303 and 304; then A removes 301 and edits 303 later.
    ext('c').remove('302');
    ext('c').update({ number: '303', displayName: 'older on C' });
    ext('c').update({ number: '304', displayName: 'only on C' });
    await Bun.sleep(5);
    ext('a').remove('301');
    ext('a').update({ number: '303', displayName: 'newer on A' });
    expect(has('c', '301')).toBeDefined();
    expect(has('b', '302')).toBeDefined();
    split('c', false);
    const ms = await waitFor(() => (['a', 'b', 'c'] as Name[]).every((n) =>
      !has(n, '301') && !has(n, '302') && has(n, '303')?.displayName === 'newer on A' && has(n, '304')?.displayName === 'only on C'), 8000);
    console.log(`converged ${ms} ms after the split healed`);
    expect(sections.b.store.configVersions.version('extension', '302')).toMatchObject({ origin: 'c', deleted: true });
    expect(sections.c.store.configVersions.version('extension', '301')).toMatchObject({ origin: 'a', deleted: true });
  }, 30_000);

  test('attack: unsigned, replayed, forged and hostile rows are refused and change nothing', async () => {
    const url = `https://${HOSTS.b}:${ports.b.web}${CONFIG_PATH}`;
    const row = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
      kind: 'extension', key: '399', t: Date.now(), origin: 'a', deleted: false,
      data: { number: '399', displayName: 'x', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: null, digest: 'default',
        callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null, ...data }, ...over });
    const post = (body: unknown, headers: Record<string, string>) => fetch(url, { method: 'POST', body: JSON.stringify(body), headers, tls: { rejectUnauthorized: false } });
    const signed = (body: unknown, name = 'a', secret = SECRET) => peerHeaders(name, secret, 'POST', CONFIG_PATH, JSON.stringify(body));
    const good = { rows: [row()] };
    expect((await post(good, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(good, signed(good, 'a', 'not-the-secret-at-all'))).status).toBe(401);
    expect((await post(good, signed(good, 'mallory'))).status).toBe(401);
    const h = signed(good);
    expect((await post(good, h)).status).toBe(200);
    expect((await post(good, h)).status).toBe(401); // replayed
    rmExt('b', '399');
    const hostile = { rows: [
      row({ origin: 'mallory' }), row({ t: Date.now() + 3_600_000 }), row({ kind: 'trunk' }), row({ key: '911' }, { number: '911' }),
      row({}, { realm: 'evil.example' }), row({}, { ha1Md5: 'zz' }), row({}, { callClass: 'premium-plus' }), row({}, { extra: 1 }),
      row({}, { displayName: 'x'.repeat(100) }), row({ key: '1; DROP TABLE extensions' }), row({ deleted: 'yes' }),
    ] };
    const r = await post(hostile, signed(hostile));
    expect(await r.json()).toEqual({ applied: 0, older: 0, rejected: hostile.rows.length });
    expect(has('b', '399')).toBeUndefined();
    const junk = { rows: 'x' };
    expect((await post(junk, signed(junk))).status).toBe(400);
    const tooMany = { rows: Array.from({ length: 501 }, () => row()) };
    expect((await post(tooMany, signed(tooMany))).status).toBe(413); // the web server's body limit comes first
  });

  test('a password changed on A is honoured by B after A is gone', async () => {
    ext('a').update({ number: '303', password: 'N3w-Secret-Passphrase' });
    const ha1 = has('a', '303')!.ha1Md5;
    await waitFor(() => has('b', '303')?.ha1Md5 === ha1, 1000);
    await sections.a.stop();
    delete (sections as Partial<typeof sections>).a;
    expect(await register('303', 'b', 'N3w-Secret-Passphrase')).toBe(0);
    expect(await register('303', 'b', PW)).not.toBe(0);
  }, 30_000);
});

function rmExt(n: Name, number: string): void {
  if (has(n, number)) ext(n).remove(number);
}
