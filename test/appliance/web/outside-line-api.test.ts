import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/**
 * Editing the outside line in the API (issue 14): trunks, routes and inbound numbers added in
 * the store next to the config file's (which stay fixed), each checked by the config's own
 * parsers with errors naming the field; trunk passwords sealed, never answered; attacks.
 */
const PASSWORD = 'Correct-Horse-42';
const CONFIG_PW = 'Config-Trunk-Pass-3';
const STORED_PW = 'Stored-Trunk-Pass-8';
let fx: WebFixture;
let api: ApiClient;

const toml = (dir: string) => `data_dir = "${dir}"
[sip]
listen = "127.0.0.1"
port = 5060
domain = "office.lan"
[web]
listen = "127.0.0.1"
port = 0
[[trunks]]
name = "provider"
registrar = "192.0.2.10"
username = "5551230000"
password = "${CONFIG_PW}"
[[routes]]
name = "national"
pattern = "^9(1[2-9][0-9]{9})$"
replace = "+$1"
trunk = "provider"
class = "national"
[emergency]
trunk = "provider"
`;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-outside-line-'));
  fx = await startWebFixture({ config: parseConfig(toml(dir), 'test') });
  new ExtensionService(fx.store, 'office.lan').add({ number: '201', password: 'Oscar-Pass-201' });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
});
afterAll(() => fx?.stop());

const BACKUP = { name: 'backup', registrar: '192.0.2.30:5070', username: 'office', password: STORED_PW, callerId: '+15550001111' };

describe('trunks in the store', () => {
  test('a trunk added: 201, the workers told, its password sealed (not in the database file), never in an answer', async () => {
    const before = fx.view.storeChanges;
    const res = await api.json('POST', '/api/trunks', BACKUP);
    expect(res.status).toBe(201);
    expect(fx.view.storeChanges).toBe(before + 1);
    expect(fx.store.secrets.get('trunk:backup')).toBe(STORED_PW);
    const row = fx.store.db.query<{ sealed: string }, []>("SELECT sealed FROM sealed_secrets WHERE name = 'trunk:backup'").get()!;
    expect(row.sealed).toStartWith('v1:');
    fx.store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const file = join(fx.config.dataDir, 'appliance.sqlite');
    for (const f of [file, `${file}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from(STORED_PW))).toBe(false);
    const keyMode = Bun.spawnSync(['stat', '-c', '%a', join(fx.config.dataDir, 'secrets.key')]).stdout.toString().trim();
    expect(keyMode).toBe('600');
    fx.view.trunkList = [
      { name: 'provider', state: 'up', reason: undefined, registrar: '192.0.2.10', expiresAt: undefined, retryAt: undefined },
      { name: 'backup', state: 'registering', reason: undefined, registrar: '192.0.2.30:5070', expiresAt: undefined, retryAt: undefined },
    ];
    const list = await api.json('GET', '/api/trunks');
    expect(list.body.map((t: { name: string; origin: string; callerId: string | null }) => [t.name, t.origin, t.callerId])).toEqual([['provider', 'config', null], ['backup', 'store', '+15550001111']]);
    for (const path of ['/api/trunks', '/api/dial-plan']) {
      const text = await (await api.call('GET', path)).text();
      expect(text).not.toContain(STORED_PW);
      expect(text).not.toContain(CONFIG_PW);
    }
  });

  test('invalid trunks: errors name the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...BACKUP, name: 'provider' }, 'name'],
      [{ ...BACKUP, name: 'b2', registrar: 'sip:x.example' }, 'registrar'],
      [{ ...BACKUP, name: 'b3', password: 'a\r\nVia: x' }, 'password'],
      [{ ...BACKUP, name: 'b4', transport: 'sctp' }, 'transport'],
      [{ ...BACKUP, name: 'b5', password: undefined }, 'password'],
      [{ ...BACKUP, name: 'b6', callerId: 'x y' }, 'callerId'],
      [{ ...BACKUP, name: 'b7', bogus: 1 }, 'bogus'],
    ];
    for (const [body, field] of cases) {
      const res = await api.json('POST', '/api/trunks', body);
      expect([res.status, res.body.error.field]).toEqual([400, field]);
    }
  });

  test('a config trunk is fixed: PUT and DELETE 409 naming the config file', async () => {
    for (const [method, body] of [['PUT', { registrar: '192.0.2.99' }], ['DELETE', undefined]] as const) {
      const res = await api.json(method, '/api/trunks/provider', body);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toContain('config file');
    }
    expect((await api.json('PUT', '/api/trunks/provider/password', { password: 'New-Pass-1' })).status).toBe(409);
  });

  test('a stored trunk changed; its password set anew (and the old one gone)', async () => {
    expect((await api.call('PUT', '/api/trunks/backup', { registrar: '192.0.2.31', username: 'office' })).status).toBe(204);
    expect(fx.store.secrets.get('trunk:backup')).toBe(STORED_PW);
    expect((await api.call('PUT', '/api/trunks/backup/password', { password: 'Stored-Trunk-Pass-9' })).status).toBe(204);
    expect(fx.store.secrets.get('trunk:backup')).toBe('Stored-Trunk-Pass-9');
  });
});

describe('routes and inbound numbers in the store', () => {
  test('a route with fail-over added after the config\'s; the plan shows where each comes from', async () => {
    const res = await api.json('POST', '/api/dial-plan/routes', { name: 'local', pattern: '^9([2-9][0-9]{6})$', replace: '+1555$1', trunk: 'backup', class: 'local', failover: ['provider'] });
    expect(res.status).toBe(201);
    const plan = (await api.json('GET', '/api/dial-plan')).body;
    expect(plan.routes.map((r: { name: string; origin: string; failover: string[] }) => [r.name, r.origin, r.failover])).toEqual([['national', 'config', []], ['local', 'store', ['provider']]]);
    expect(typeof plan.routes[1].id).toBe('number');
  });

  test('invalid routes: a pattern that does not compile, one that backtracks, an unknown trunk, a taken name: 400 naming the field', async () => {
    const base = { name: 'r', pattern: '^1$', trunk: 'provider', class: 'local' };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...base, pattern: '^9(1' }, 'pattern', /pattern: "\^9\(1" is not a valid regular expression/],
      [{ ...base, pattern: '^(9+)+$' }, 'pattern', /catastrophic backtracking/],
      [{ ...base, trunk: 'nope' }, 'trunk', /names no trunk/],
      [{ ...base, failover: ['provider'] }, 'failover', /own trunk/],
      [{ ...base, name: 'national' }, 'name', /used by another route/],
      [{ ...base, class: 'cheap' }, 'class', /expected one of/],
      [{ ...base, name: '<img src=x onerror=alert(1)>' }, 'name', /not a name/],
    ];
    for (const [body, field, message] of cases) {
      const res = await api.json('POST', '/api/dial-plan/routes', body);
      expect([res.status, res.body.error.field]).toEqual([400, field]);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await api.json('PUT', '/api/dial-plan/routes/national', { pattern: '^1$', trunk: 'provider', class: 'local' })).status).toBe(409);
  });

  test('inbound numbers: added to an extension, refused for no such target, removed', async () => {
    const ok = await api.json('POST', '/api/dial-plan/inbound', { did: '+15550001199', trunk: 'backup', to: '201' });
    expect(ok.status).toBe(201);
    const bad = await api.json('POST', '/api/dial-plan/inbound', { did: '+15550001198', trunk: 'backup', to: '299' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'to']);
    const digits = await api.json('POST', '/api/dial-plan/inbound', { did: '15550001198', trunk: 'backup', to: '201' });
    expect([digits.status, digits.body.error.field]).toEqual([400, 'did']);
    expect((await api.json('GET', '/api/dial-plan')).body.inbound).toEqual([{ did: '+15550001199', match: 'number', trunk: 'backup', to: '201', origin: 'store', id: ok.body.id }]);
    expect((await api.call('DELETE', `/api/dial-plan/inbound/${ok.body.id}`)).status).toBe(204);
    expect((await api.call('DELETE', '/api/dial-plan/inbound/999999')).status).toBe(404);
  });

  test('a trunk in use is not removed; once free it is, with its sealed password', async () => {
    const inUse = await api.json('DELETE', '/api/trunks/backup');
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.message).toContain('route local');
    expect((await api.call('DELETE', '/api/dial-plan/routes/local')).status).toBe(204);
    expect((await api.call('DELETE', '/api/trunks/backup')).status).toBe(204);
    expect(fx.store.secrets.has('trunk:backup')).toBe(false);
  });
});

describe('attacks', () => {
  test('without a session: 401, nothing stored', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    for (const [path, body] of [['/api/trunks', BACKUP], ['/api/dial-plan/routes', { name: 'x', pattern: '^1$', trunk: 'provider', class: 'local' }]] as const) {
      expect((await anon.call('POST', path, body)).status).toBe(401);
    }
    expect(fx.store.outsideLine.list()).toEqual([]);
  });

  test('cross-site: a foreign Origin, Sec-Fetch-Site cross-site, or no CSRF token: 403, nothing stored', async () => {
    const attempts: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'X-CSRF-Token': '' }];
    for (const headers of attempts) expect((await api.call('POST', '/api/trunks', BACKUP, headers)).status).toBe(403);
    // A plain HTML form post (text/plain) cannot even be read as a body.
    const form = await fx.fetch(`${fx.web.url}/api/trunks`, { method: 'POST', headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Content-Type': 'text/plain' }, body: JSON.stringify(BACKUP) });
    expect(form.status).toBe(400);
    expect(fx.store.outsideLine.list()).toEqual([]);
  });

  test('oversized and malformed bodies: a clear 4xx, no crash', async () => {
    const big = await api.call('POST', '/api/dial-plan/routes', { name: 'big', pattern: `^${'1'.repeat(70_000)}$`, trunk: 'provider', class: 'local' });
    expect([400, 413]).toContain(big.status);
    const notJson = await fx.fetch(`${fx.web.url}/api/dial-plan/routes`, { method: 'POST', headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Content-Type': 'application/json' }, body: '{"name":' });
    expect(notJson.status).toBe(400);
    const wrongTypes = await api.json('POST', '/api/trunks', { ...BACKUP, register: 'yes', name: 'typed' });
    expect([wrongTypes.status, wrongTypes.body.error.field]).toEqual([400, 'register']);
    const listFailover = await api.json('POST', '/api/dial-plan/routes', { name: 'f', pattern: '^1$', trunk: 'provider', class: 'local', failover: 'provider' });
    expect([listFailover.status, listFailover.body.error.field]).toEqual([400, 'failover']);
  });
});

describe('a stored trunk edited in place (PATCH /api/trunks/:name)', () => {
  const EDITED = { name: 'edited', registrar: '192.0.2.40:5070', username: 'office-e', password: STORED_PW, callerId: '+15550002222', domain: 'edit.example' };
  test('only the keys given change; null clears an optional one; the password is write-only; the workers are told', async () => {
    expect((await api.json('POST', '/api/trunks', EDITED)).status).toBe(201);
    const before = fx.view.storeChanges;
    const res = await api.json('PATCH', '/api/trunks/edited', { registrar: '192.0.2.41:5080', callerId: null, password: 'New-Stored-Pass-5', keepalive: 0 });
    expect(res.status).toBe(200);
    expect(fx.view.storeChanges).toBe(before + 1);
    expect(JSON.stringify(res.body)).not.toContain('New-Stored-Pass-5');
    expect(fx.store.secrets.get('trunk:edited')).toBe('New-Stored-Pass-5');
    expect(fx.store.outsideLine.byName('trunk', 'edited')?.entry).toEqual({ name: 'edited', registrar: '192.0.2.41:5080', username: 'office-e', domain: 'edit.example', keepalive: 0 });
    // The states come from the running appliance (here a stand-in): no secret in them either.
    const listed = (await api.json('GET', '/api/trunks')).body as Record<string, unknown>[];
    expect(JSON.stringify(listed)).not.toContain('New-Stored-Pass-5');
    expect(JSON.stringify(listed)).not.toContain(STORED_PW);
  });
  test.each([
    [{ registrar: 'not a host:port!' }, 'registrar'],
    [{ transport: 'sctp' }, 'transport'],
    [{ username: 'has space' }, 'username'],
    [{ password: 'line\r\nbreak' }, 'password'],
    [{ keepalive: 99999 }, 'keepalive'],
    [{ register: 'yes' }, 'register'],
    [{ tlsCa: '/nowhere/ca.pem' }, 'tlsCa'],
    [{ name: 'renamed' }, 'name'],
    [{ evil: 1 }, 'evil'],
    [{}, 'name'],
  ] as const)('refused, naming the field, nothing changed: %j', async (patch, field) => {
    const before = JSON.stringify(fx.store.outsideLine.byName('trunk', 'edited')?.entry);
    const res = await api.json('PATCH', '/api/trunks/edited', patch);
    expect(res.status).toBe(400);
    expect(String(res.body.error.field)).toContain(field);
    expect(JSON.stringify(fx.store.outsideLine.byName('trunk', 'edited')?.entry)).toBe(before);
    expect(fx.store.secrets.get('trunk:edited')).toBe('New-Stored-Pass-5');
  });
  test('a config trunk: 409 (edit the file); no such trunk: 404', async () => {
    expect((await api.json('PATCH', '/api/trunks/provider', { callerId: '+15550003333' })).status).toBe(409);
    expect((await api.json('PATCH', '/api/trunks/nosuch', { callerId: '+15550003333' })).status).toBe(404);
  });
  test('attack: without a session 401; a foreign Origin, a cross-site fetch or no CSRF token 403; a text/plain form 400; nothing changed', async () => {
    const before = JSON.stringify(fx.store.outsideLine.byName('trunk', 'edited')?.entry);
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    expect((await anon.call('PATCH', '/api/trunks/edited', { registrar: '203.0.113.66' })).status).toBe(401);
    const attempts: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'X-CSRF-Token': '' }];
    for (const headers of attempts) {
      expect((await api.call('PATCH', '/api/trunks/edited', { registrar: '203.0.113.66' }, headers)).status).toBe(403);
    }
    const form = await fx.fetch(`${fx.web.url}/api/trunks/edited`, { method: 'PATCH', headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Content-Type': 'text/plain' }, body: '{"registrar":"203.0.113.66"}' });
    expect(form.status).toBe(400);
    expect(JSON.stringify(fx.store.outsideLine.byName('trunk', 'edited')?.entry)).toBe(before);
    expect((await api.call('DELETE', '/api/trunks/edited')).status).toBe(204);
  });
});
