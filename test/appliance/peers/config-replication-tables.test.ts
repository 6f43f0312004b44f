import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { OutsideLineService } from '../../../appliance/admin/outside-line-service.ts';
import { RingGroupService } from '../../../appliance/admin/ring-group-service.ts';
import { DnsAdminService } from '../../../appliance/dns/admin-records.ts';
import { peerHeaders } from '../../../appliance/peers/peer-auth.ts';
import { CONFIG_PATH } from '../../../appliance/peers/config-replication.ts';
import { linkKey, sealForLink } from '../../../appliance/peers/config-secrets.ts';
import { loadConfig, type PeerConfig } from '../../../system/config/index.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS } from '../../support/sipp.ts';

/**
 * The rest of the replicated configuration in a group of three (issue 19): A, B and C on
 * 127.1.19.2x. A DNS record and a ring group added on B reach C within a second; a split (C
 * signing with a wrong secret, and A and B towards it) with a deletion on each side, an edit on
 * both and a phone unregistered on A heals with the deletions kept (the binding too: its
 * tombstone), the newer edit everywhere; a trunk whose password is changed on A registers from B
 * with the new one at a real provider (Kamailio); hostile /peer/config batches change nothing.
 */
const HOSTS = { a: '127.1.19.20', b: '127.1.19.21', c: '127.1.19.22' } as const;
type Name = keyof typeof HOSTS;
const NAMES = Object.keys(HOSTS) as Name[];
const PHONE = '127.1.19.30';
const PROVIDER = '127.1.19.31';
const SECRET = 'peer-secret-for-the-tables-group';
const PW = 'Corr3ct-Horse-Battery';
const TRUNK_PW = 'Provider-Pass-19';
let dir: string;
const sections = {} as Record<Name, ControlSection>;
const ports = {} as Record<Name, { sip: number; web: number; dns: number }>;
const configs = {} as Record<Name, ReturnType<typeof loadConfig>>;
const dns = (n: Name) => new DnsAdminService(sections[n].store, configs[n]);
const groups = (n: Name) => new RingGroupService(sections[n].store);
const record = (n: Name, name: string) => sections[n].store.dnsRecords.byName(name)[0];
const group = (n: Name, number: string) => sections[n].store.ringGroups.get(number);

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return Date.now() - t0;
    await Bun.sleep(10);
  }
  throw new Error(`not within ${ms} ms`);
}

/** C's links, and A's and B's links to C, sign with a wrong secret (each side refuses the other with 401), or the right one again. */
function split(on: boolean): void {
  for (const s of Object.values(sections)) {
    for (const link of s.peers.links) {
      if (s !== sections.c && link.name !== 'c') continue;
      (link as unknown as { config: PeerConfig }).config = { ...link.config, secret: on ? 'a-wrong-secret-during-the-split' : SECRET };
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'config-tables-'));
  for (const n of NAMES) ports[n] = { sip: await freePort(HOSTS[n]), web: await freeTcpPort(HOSTS[n]), dns: await freeTcpPort(HOSTS[n]) };
  for (const n of ['c', 'b', 'a'] as Name[]) {
    const path = join(dir, `${n}.toml`);
    writeFileSync(path, `name = "${n}"\ndata_dir = "${dir}/${n}"\n[sip]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].sip}\ntransports = ["udp"]\n` +
      (n === 'c' ? `[dns]\nenabled = true\nlisten = "${HOSTS.c}"\nport = ${ports.c.dns}\n` : '[dns]\nenabled = false\n') + `[web]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].web}\n[control]\nmin_workers = 1\nmax_workers = 1\nheartbeat_seconds = 1\n` +
      NAMES.filter((o) => o !== n).map((o) => `[[peers]]\nname = "${o}"\nurl = "https://${HOSTS[o]}:${ports[o].web}"\nsip = "${HOSTS[o]}:${ports[o].sip}"\nsecret = "${SECRET}"\n`).join(''));
    configs[n] = loadConfig(path);
    sections[n] = await startControlSection(configs[n], { configArg: path, workerOutput: 'ignore' });
  }
  await waitFor(() => Object.values(sections).every((s) => s.peers.links.every((l) => l.state === 'up')), 10_000);
  const ext = new ExtensionService(sections.b.store, 'office.lan');
  for (const number of ['401', '402', '403']) ext.add({ number, password: PW, displayName: `x${number}` });
  await waitFor(() => NAMES.every((n) => sections[n].store.extensions.get('403') !== undefined), 2000);
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(sections)) await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the rest of the replicated configuration in a group of three', () => {
  test('a DNS record and a ring group added on B reach C within a second, naming B as their origin', async () => {
    const added = Date.now();
    dns('b').add({ name: 'printer', type: 'A', value: '192.168.1.9' });
    groups('b').add({ number: '650', name: 'Sales', strategy: 'hunt', members: ['401', '402'] });
    const ms = await waitFor(() => record('c', 'printer.office.lan') !== undefined && group('c', '650')?.members.length === 2, 1000);
    console.log(`DNS record and ring group added on B in C's store after ${ms} ms`);
    expect(record('a', 'printer.office.lan')).toMatchObject({ type: 'A', value: '192.168.1.9' });
    expect(group('c', '650')).toMatchObject({ name: 'Sales', strategy: 'hunt', members: ['401', '402'] });
    expect(sections.c.store.configVersions.version('ring-group', '650')).toMatchObject({ origin: 'b', deleted: false });
    // C's DNS function answers with the record made on B (its workers read the store again).
    if (HAVE_DIG) {
      let answers: string[] = [];
      while (Date.now() - added < 3000 && !answers.includes('192.168.1.9')) answers = await digC('printer.office.lan');
      expect(answers).toEqual(['192.168.1.9']);
      console.log(`C's DNS function answered the record ${Date.now() - added} ms after it was added on B`);
    }
  });

  test('a split with a deletion on each side and an unregistered phone heals: the deletions stay, the newer edit wins, on all three', async () => {
    dns('a').add({ name: 'fax', type: 'A', value: '192.168.1.10' });
    groups('a').add({ number: '651', name: 'Support', members: ['403'] });
    const phonePort = await freePort(PHONE);
    const register = (on: Name, expires: number) => runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '401', '-au', '401', '-ap', PW,
      '-key', 'expires', String(expires), `${HOSTS[on]}:${ports[on].sip}`, '-i', PHONE, '-p', String(phonePort), '-m', '1', '-timeout', '5s'], 10);
    const bound = (n: Name) => sections[n].store.registrations.loadActive().some((b) => b.aor.startsWith('sip:401@'));
    expect((await register('c', 300)).code).toBe(0);
    await waitFor(() => NAMES.every(bound) && NAMES.every((n) => record(n, 'fax.office.lan') && group(n, '651')), 2000);
    split(true);
    await waitFor(() => sections.c.peers.links.every((l) => l.state === 'down') && sections.a.peers.links.find((l) => l.name === 'c')!.state === 'down', 8000);
    // During the split: C removes the printer record and renames 651; later A removes group 650, renames 651 and the phone unregisters on A.
    dns('c').remove({ name: 'printer', type: 'A', value: '192.168.1.9' });
    groups('c').update({ number: '651', name: 'older on C' });
    await Bun.sleep(5);
    groups('a').remove('650');
    groups('a').update({ number: '651', name: 'newer on A' });
    expect((await register('a', 0)).code).toBe(0);
    await waitFor(() => !bound('a') && !bound('b'), 2000);
    expect(bound('c')).toBe(true);
    expect(group('c', '650')).toBeDefined();
    split(false);
    const ms = await waitFor(() => NAMES.every((n) => !record(n, 'printer.office.lan') && !group(n, '650') && group(n, '651')?.name === 'newer on A' && !bound(n)), 8000);
    console.log(`converged ${ms} ms after the split healed (DNS record, ring groups, the phone's binding)`);
    if (HAVE_DIG) expect(await digC('fax.office.lan')).toEqual(['192.168.1.10']);
    expect(record('b', 'fax.office.lan')).toBeDefined();
    expect(sections.a.store.configVersions.version('dns-record', JSON.stringify(['printer.office.lan', 'A', '192.168.1.9']))).toMatchObject({ origin: 'c', deleted: true });
    // C learnt the removal as a tombstone from the full sync: its own older binding does not come back either.
    expect(sections.c.store.registrations.tombstones().some((t) => t.kind === 'remove' && t.aor === 'sip:401@office.lan')).toBe(true);
  }, 40_000);

  test('attack: unsigned, replayed, hostile rows and a per-appliance setting are refused and change nothing', async () => {
    const url = `https://${HOSTS.b}:${ports.b.web}${CONFIG_PATH}`;
    const post = (body: unknown, headers: Record<string, string>) => fetch(url, { method: 'POST', body: JSON.stringify(body), headers, tls: { rejectUnauthorized: false } });
    const signed = (body: unknown) => peerHeaders('a', SECRET, 'POST', CONFIG_PATH, JSON.stringify(body));
    const row = (kind: string, key: string, data: unknown) => ({ kind, key, t: Date.now(), origin: 'a', deleted: false, data });
    const good = { rows: [row('ring-group', '659', { number: '659', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [] })] };
    expect((await post(good, { 'content-type': 'application/json' })).status).toBe(401);
    const h = signed(good);
    expect((await post(good, h)).status).toBe(200);
    expect(group('b', '659')).toBeDefined();
    expect((await post(good, h)).status).toBe(401); // replayed
    const nonce = sections.b.store.settings.get('sip.nonce_secret');
    const hostile = { rows: [
      row('setting', 'sip.nonce_secret', { value: 'known-to-the-attacker' }),
      row('setting', 'admin.password', { value: 'x' }),
      { kind: 'setting', key: 'sip.dialog_secret', t: Date.now(), origin: 'a', deleted: true },
      row('dns-record', JSON.stringify(['www.bank.example', 'A', '10.6.6.6']), { name: 'www.bank.example', type: 'A', value: '10.6.6.6', ttl: null }),
      row('ring-group', '911', { number: '911', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [] }),
      row('call-features', '401', { extension: '401', dnd: false, forwardAlways: 'sip:premium@evil.example', forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null }),
      row('trunk', 'evil', { entry: { name: 'evil', registrar: '10.6.6.6', username: 'x', password: 'in-clear' }, passwordSealed: null }),
      row('trunk', 'evil', { entry: { name: 'evil', registrar: '10.6.6.6', username: 'x' }, passwordSealed: sealForLink(linkKey('not-our-shared-secret'), 'evil', 'pw') }),
      row('peer', 'c', { url: 'https://10.6.6.6' }),
    ] };
    const r = await post(hostile, signed(hostile));
    expect(await r.json()).toEqual({ applied: 0, older: 0, rejected: hostile.rows.length });
    expect(sections.b.store.settings.get('sip.nonce_secret')).toBe(nonce);
    expect(sections.b.store.dnsRecords.byName('www.bank.example')).toEqual([]);
    expect(sections.b.store.callFeatures.get('401').forwardAlways).toBeNull();
    expect(sections.b.store.outsideLine.byName('trunk', 'evil')).toBeUndefined();
    groups('b').remove('659');
  });
});

/** `dig` against C's DNS function: the A answers. */
async function digC(name: string): Promise<string[]> {
  const p = Bun.spawn(['dig', '-p', String(ports.c.dns), `@${HOSTS.c}`, '+tries=1', '+time=1', '+noall', '+answer', name, 'A'], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.split('\n').filter((l) => /\sIN\s+A\s/.test(l)).map((l) => l.trim().split(/\s+/).pop()!);
}

const HAVE_DIG = requireTool('dig');
const HAVE_PROVIDER = requireTool('kamailio') && kamailioBinary() !== undefined;

describe.skipIf(!HAVE_PROVIDER)('a trunk replicated with its password', () => {
  let provider: KamailioProvider;
  beforeAll(async () => {
    provider = await startKamailioProvider({ address: PROVIDER, port: await freePort(PROVIDER), domain: 'provider.example', username: '5551230019', password: TRUNK_PW });
  }, 30_000);
  afterAll(async () => {
    await provider?.stop();
  });

  test('a trunk added on A with a wrong password, then its password changed on A: B registers with the new one; the password never shows', async () => {
    const line = (n: Name) => new OutsideLineService(sections[n].store, configs[n]);
    line('a').addTrunk({ name: 'provider', registrar: `${PROVIDER}:${provider.port}`, username: '5551230019', domain: 'provider.example', password: 'an-old-password' });
    const fromB = new RegExp(`provider: REGISTER sip:5551230019@provider\\.example from ${HOSTS.b.replace(/\./g, '\\.')}:\\d+: wrong password`);
    expect(await provider.waitForLog(fromB, 10_000)).toBe(true);
    line('a').setTrunkPassword('provider', TRUNK_PW);
    const t0 = Date.now();
    const registered = new RegExp(`provider: registered sip:5551230019@provider\\.example contact \\S+ expires \\S+ from ${HOSTS.b.replace(/\./g, '\\.')}:`);
    expect(await provider.waitForLog(registered, 10_000)).toBe(true);
    console.log(`B registered the trunk with the password changed on A ${Date.now() - t0} ms later`);
    await waitFor(() => sections.b.view.trunks().find((s) => s.name === 'provider')?.state === 'up', 5000);
    expect(sections.b.store.secrets.get('trunk:provider')).toBe(TRUNK_PW);
    expect(sections.c.store.secrets.get('trunk:provider')).toBe(TRUNK_PW);
    expect(sections.b.store.settings.get('emergency.trunk')).toBe('provider');
    for (const n of NAMES) {
      const events = JSON.stringify((sections[n].store.events.flush(undefined, true), sections[n].store.events.recent(1000)));
      expect(events).not.toContain(TRUNK_PW);
      expect(events).not.toContain('an-old-password');
    }
  }, 40_000);
});
