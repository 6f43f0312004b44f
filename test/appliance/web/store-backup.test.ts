import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { seal } from '../../../appliance/admin/backup-crypto.ts';
import { BACKUP_FORMAT } from '../../../appliance/admin/backup-document.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/**
 * Backups and restore against the real web server and store (issue 10 findings 8 and 10): the
 * file holds no secret in clear, a wrong passphrase is a clear error, and crafted files (a
 * rogue peer, an injected nonce secret or admin hash, an extension `x<b>1`, a DNS record for a
 * name outside our zones) are rejected whole with the store unchanged.
 */
const ADMIN_PW = 'Backup-Admin-Pass-9';
const EXT_PW = 'Violet-Desk-Lamp-731';
const PASSPHRASE = 'granite orchid tram 4417 blue';
const PEER_SECRET = 'peer-secret-0123456789abcdef';

let fx: WebFixture;
let api: ApiClient;

/** Everything a restore may change or must leave alone, as comparable JSON. */
function snapshot() {
  const s = fx.store;
  return JSON.stringify({
    extensions: s.extensions.list(),
    dns: s.dnsRecords.list().map(({ name, type, value, ttl }) => ({ name, type, value, ttl })),
    settings: s.db.query('SELECT key, value FROM settings ORDER BY key').all(),
    peers: s.peers.list(),
  });
}

async function restore(bytes: Uint8Array, passphrase?: string) {
  const headers: Record<string, string> = passphrase === undefined ? {} : { 'X-Backup-Passphrase': encodeURIComponent(passphrase) };
  const res = await api.call('POST', '/api/system/restore', bytes, headers);
  return { status: res.status, body: await res.json() as any };
}

const json = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
const doc = (over: Record<string, unknown> = {}) => ({
  format: BACKUP_FORMAT, version: 1, createdAt: new Date().toISOString(), appliance: 'crafted', domain: 'office.lan', secrets: false,
  extensions: [{ number: '401', displayName: 'Good', e164: null }],
  dnsRecords: [{ name: 'fax.office.lan', type: 'A', value: '192.168.1.60', ttl: null }],
  ...over,
});

const dataDir = mkdtempSync(join(tmpdir(), 'backup-test-'));

beforeAll(async () => {
  // Plain HTTP on loopback: this file tests backups, not the listener (its own tests cover TLS).
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${dataDir}"
[sip]
listen = "127.0.20.1"
domain = "office.lan"
[web]
listen = "127.0.0.1"
port = 0
https = false
`, 'store-backup test') });
  api = new ApiClient(fx.web.url);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: ADMIN_PW })).status).toBe(201);
  expect((await api.json('POST', '/api/extensions', { number: '301', password: EXT_PW, displayName: 'Reception', e164: '+15551230301' })).status).toBe(201);
  expect((await api.json('POST', '/api/extensions', { number: '302', password: `${EXT_PW}-2`, displayName: 'Lab' })).status).toBe(201);
  expect((await api.json('POST', '/api/dns', { name: 'printer', type: 'A', value: '192.168.1.50' })).status).toBe(201);
  fx.store.settings.set('sip.nonce_secret', 'ab'.repeat(32));
  fx.store.peers.syncFromConfig([{ name: 'office-b', url: 'http://127.0.20.2:8080', sip: '127.0.20.2:5060', secret: PEER_SECRET }]);
});
afterAll(async () => {
  await fx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('backup files hold no secret in clear', () => {
  let encrypted: Uint8Array;

  test('an encrypted backup: none of the HA1s, nonce secret, admin hash, peer secret or even names in its bytes', async () => {
    const res = await api.call('POST', '/api/system/backup', { passphrase: PASSPHRASE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="appliance-backup-.*\.osabk"/);
    encrypted = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(encrypted.subarray(0, 8))).toBe('OSABKENC');
    const bytes = Buffer.from(encrypted);
    const secrets = [
      ...fx.store.extensions.list().flatMap((e) => [e.ha1Md5, e.ha1Sha256]),
      fx.store.settings.get('sip.nonce_secret')!, fx.store.settings.get('admin.password_hash')!, PEER_SECRET,
      'Reception', 'printer', '"extensions"',
    ];
    for (const s of secrets) expect(bytes.includes(s)).toBe(false);
  });

  test('a weak passphrase is refused (weak-password)', async () => {
    const weak = await api.json('POST', '/api/system/backup', { passphrase: 'Password2024!' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak-password');
  });

  test('a backup without secrets: JSON with no HA1, nonce secret, admin hash or peer', async () => {
    const res = await api.call('GET', '/api/system/backup');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('no-secrets.json');
    const text = await res.text();
    for (const e of fx.store.extensions.list()) {
      expect(text).not.toContain(e.ha1Md5);
      expect(text).not.toContain(e.ha1Sha256);
    }
    for (const s of [fx.store.settings.get('sip.nonce_secret')!, fx.store.settings.get('admin.password_hash')!, PEER_SECRET, 'office-b']) expect(text).not.toContain(s);
    const parsed = JSON.parse(text);
    expect(parsed.secrets).toBe(false);
    expect(parsed.extensions.map((e: { number: string }) => e.number)).toEqual(['301', '302']);
    expect(Object.keys(parsed.extensions[0]).sort()).toEqual(['digest', 'displayName', 'e164', 'number', 'permissions']);
  });

  test('wrong passphrase, no passphrase, a changed byte: a clear error and nothing restored', async () => {
    const before = snapshot();
    const wrong = await restore(encrypted, 'granite orchid tram 4417 blew');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe('wrong passphrase, or the backup file was altered or damaged: nothing was restored');
    expect(wrong.body.error.field).toBe('passphrase');
    const none = await restore(encrypted);
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain('this backup is encrypted: give its passphrase');
    const altered = encrypted.slice();
    altered[altered.length - 40] ^= 1;
    expect((await restore(altered, PASSPHRASE)).body.error.message).toContain('wrong passphrase');
    const header = encrypted.slice();
    header[11] = 14; // a cheaper scrypt N in the header: authenticated, so it fails too
    expect((await restore(header, PASSPHRASE)).body.error.message).toContain('wrong passphrase');
    expect(snapshot()).toBe(before);
  }, 20_000);

  test('the encrypted backup restores everything with the right passphrase: passwords keep working', async () => {
    const before = fx.store.extensions.list();
    await api.call('DELETE', '/api/extensions/302');
    await api.json('POST', '/api/extensions', { number: '303', password: EXT_PW });
    const r = await restore(encrypted, PASSPHRASE);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, restored: { extensions: 2, dnsRecords: 1 }, needPassword: [], trunksNeedPassword: [] });
    const after = fx.store.extensions.list();
    expect(after.map((e) => [e.number, e.displayName, e.e164, e.ha1Md5, e.ha1Sha256]))
      .toEqual(before.map((e) => [e.number, e.displayName, e.e164, e.ha1Md5, e.ha1Sha256]));
    expect(fx.store.dnsRecords.list().map((d) => d.name)).toEqual(['printer.office.lan']);
    expect(fx.view.storeChanges).toBeGreaterThan(0);
  }, 20_000);

  test('restoring a backup without secrets: existing extensions keep their password, others need a new one', async () => {
    const plain = new Uint8Array(await (await api.call('GET', '/api/system/backup')).arrayBuffer());
    const old301 = fx.store.extensions.get('301')!;
    const old302 = fx.store.extensions.get('302')!;
    await api.call('DELETE', '/api/extensions/302');
    const r = await restore(plain);
    expect(r.status).toBe(200);
    expect(r.body.needPassword).toEqual(['302']);
    expect(fx.store.extensions.get('301')!.ha1Md5).toBe(old301.ha1Md5);
    const new302 = fx.store.extensions.get('302')!;
    expect(new302.ha1Md5).not.toBe(old302.ha1Md5);
    expect(new302.ha1Md5).toMatch(/^[0-9a-f]{32}$/);
    // A new password through the API makes it usable again.
    expect((await api.json('PUT', '/api/extensions/302', { password: `${EXT_PW}-3` })).status).toBe(200);
  });
});

describe('crafted restores are rejected whole, the store unchanged', () => {
  const cases: [string, () => Promise<Uint8Array>, string | undefined, RegExp][] = [
    ['a rogue peer', async () => json(doc({ peers: [{ name: 'evil', url: 'http://127.0.20.66:8080', sip: '127.0.20.66:5060', secret: 'attacker-secret-0123456' }] })), undefined,
      /backup rejected, nothing was changed: it has a "peers" section, which a restore never applies/],
    ['an injected nonce secret and admin hash', async () => json(doc({ settings: { 'sip.nonce_secret': '00'.repeat(32), 'admin.password_hash': '$argon2id$v=19$m=65536,t=2,p=1$attacker' } })), undefined,
      /"settings" section, which a restore never applies/],
    ['the same injection inside an encrypted backup', async () => seal(json(doc({ secrets: true, settings: { 'sip.nonce_secret': '00'.repeat(32) } })), PASSPHRASE), PASSPHRASE,
      /"settings" section/],
    ['an extension number x<b>1 after good rows', async () => json(doc({ extensions: [{ number: '401', displayName: 'Good', e164: null }, { number: 'x<b>1', displayName: 'Bad', e164: null }] })), undefined,
      /extension 2 \("x<b>1"\): invalid extension number "x<b>1"/],
    ['a DNS record for www.bank.example after a good one', async () => json(doc({ dnsRecords: [{ name: 'fax.office.lan', type: 'A', value: '192.168.1.60', ttl: null }, { name: 'www.bank.example', type: 'A', value: '192.168.1.66', ttl: null }] })), undefined,
      /DNS record 2 \(www\.bank\.example A 192\.168\.1\.66\): name "www\.bank\.example\." is outside the zones this appliance serves/],
    ['a relative name that would land inside our zone', async () => json(doc({ dnsRecords: [{ name: 'www.bank', type: 'A', value: '192.168.1.66', ttl: null }] })), undefined,
      /is outside the zones/],
    ['a bad E.164 number', async () => json(doc({ extensions: [{ number: '401', displayName: '', e164: '12345' }] })), undefined, /invalid E\.164 number "12345"/],
    ['two extensions with one number', async () => json(doc({ extensions: [{ number: '401', displayName: '', e164: null }, { number: '401', displayName: '', e164: null }] })), undefined,
      /extension 2 \("401"\): extension 401 already exists/],
    ['a CNAME next to other data', async () => json(doc({ dnsRecords: [{ name: 'fax.office.lan', type: 'A', value: '192.168.1.60', ttl: null }, { name: 'fax.office.lan', type: 'CNAME', value: 'printer.office.lan', ttl: null }] })), undefined,
      /RFC 1034 §3\.6\.2/],
    ['HA1 hashes in a file that is not encrypted', async () => json(doc({ extensions: [{ number: '401', displayName: '', e164: null, realm: 'office.lan', ha1Md5: '0'.repeat(32), ha1Sha256: '0'.repeat(64) }] })), undefined,
      /extension 1: a backup without encryption never carries password hashes/],
    ['secrets: true without encryption', async () => json(doc({ secrets: true, extensions: [] })), undefined, /a backup that carries password hashes must be encrypted/],
    ['malformed HA1 in an encrypted backup', async () => seal(json(doc({ secrets: true, extensions: [{ number: '401', displayName: '', e164: null, realm: 'office.lan', ha1Md5: 'zz', ha1Sha256: '0'.repeat(64) }] })), PASSPHRASE), PASSPHRASE,
      /HA1 hashes are not 32 and 64 lower-case hex digits/],
    ['an unknown field in a row', async () => json(doc({ dnsRecords: [{ name: 'fax.office.lan', type: 'A', value: '192.168.1.60', ttl: null, owner: 'x' }] })), undefined, /DNS record 1: unknown field "owner"/],
    ['a newer format', async () => json(doc({ version: 99 })), undefined, /comes from newer software/],
    ['a database copy from an earlier version', async () => new Uint8Array([...new TextEncoder().encode('SQLite format 3\0'), ...new Uint8Array(600)]), undefined,
      /database copy from an earlier version: it holds password hashes and peer secrets in clear/],
    ['not a backup at all', async () => new TextEncoder().encode('not a backup at all'.repeat(40)), undefined, /not a backup file/],
    ['binary junk', async () => new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0xc3]), undefined, /neither encrypted nor JSON text/],
  ];
  for (const [name, make, passphrase, message] of cases) {
    test(name, async () => {
      const before = snapshot();
      const r = await restore(await make(), passphrase);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(message);
      expect(snapshot()).toBe(before);
    }, 20_000);
  }

  test('a restore never changes the peers, the nonce secret or the admin password, even when it succeeds', async () => {
    const keep = { peers: fx.store.peers.list(), nonce: fx.store.settings.get('sip.nonce_secret'), admin: fx.store.settings.get('admin.password_hash') };
    const r = await restore(json(doc()));
    expect(r.status).toBe(200);
    expect(fx.store.extensions.list().map((e) => e.number)).toEqual(['401']);
    expect({ peers: fx.store.peers.list(), nonce: fx.store.settings.get('sip.nonce_secret'), admin: fx.store.settings.get('admin.password_hash') }).toEqual(keep);
    expect(fx.store.events.recent(1, 'admin.restore')[0].message).toContain('1 extensions, 1 DNS records; 1 extensions need a new password');
  });

  test('an oversized upload is refused before it is read', async () => {
    const before = snapshot();
    const res = await api.call('POST', '/api/system/restore', new Uint8Array(17 * 1024 * 1024));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(snapshot()).toBe(before);
  });
});

describe('the password policy over the API', () => {
  test('Password201, Aaaaaaaaaa1 and qwertyuiop12 are refused with weak-password and the reason', async () => {
    for (const password of ['Password201', 'Aaaaaaaaaa1', 'qwertyuiop12']) {
      const r = await api.json('POST', '/api/extensions', { number: '450', password });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('weak-password');
      expect(r.body.error.message).toStartWith('password is too weak: ');
    }
    expect(fx.store.extensions.get('450')).toBeUndefined();
  });
});
