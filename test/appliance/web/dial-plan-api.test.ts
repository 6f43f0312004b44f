import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { presentDialPlan } from '../../../appliance/web/api/dial-plan-api.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `GET /api/dial-plan` (issue 14) on a real server, built from a parsed TOML config. */
const PASSWORD = 'Correct-Horse-42';
const TRUNK_PW = 'Trunk-Secret-Pass-9';
const BACKUP_PW = 'Backup-Secret-Pass-7';
let fx: WebFixture;
let api: ApiClient;

const toml = (dir: string) => `data_dir = "${dir}"
[sip]
listen = "127.0.0.1"
port = 5060
[web]
listen = "127.0.0.1"
port = 0
[[trunks]]
name = "provider"
registrar = "sip.provider.example"
username = "5551230000"
password = "${TRUNK_PW}"
auth_username = "acct-5551230000"
[[trunks]]
name = "backup"
registrar = "192.0.2.20"
username = "office"
password = "${BACKUP_PW}"
[[routes]]
name = "national"
pattern = "^9(1[2-9][0-9]{9})$"
replace = "+$1"
trunk = "provider"
class = "national"
failover = "backup"
[[routes]]
name = "international"
pattern = "^9011([0-9]{6,15})$"
replace = "+$1"
trunk = "provider"
class = "international"
[[routes]]
name = "local"
pattern = "^9([2-9][0-9]{6})$"
trunk = "backup"
class = "local"
[[inbound]]
did = "+15551230100"
trunk = "provider"
to = "201"
[[inbound]]
did = "^\\\\+1555123020[0-9]$"
trunk = "provider"
to = "202"
[[inbound]]
did = "*"
trunk = "backup"
to = "200"
[emergency]
numbers = ["911", "112"]
trunk = "provider"
`;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-dial-plan-'));
  fx = await startWebFixture({ config: parseConfig(toml(dir), 'test') });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
});
afterAll(() => fx?.stop());

describe('GET /api/dial-plan', () => {
  test('routes in order (pattern, what the provider receives, trunk, class, fail-over), inbound numbers, emergency', async () => {
    const res = await api.json('GET', '/api/dial-plan');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      trunks: ['provider', 'backup'],
      routes: [
        { name: 'national', pattern: '^9(1[2-9][0-9]{9})$', replace: '+$1', trunk: 'provider', class: 'national', failover: ['backup'], origin: 'config' },
        { name: 'international', pattern: '^9011([0-9]{6,15})$', replace: '+$1', trunk: 'provider', class: 'international', failover: [], origin: 'config' },
        { name: 'local', pattern: '^9([2-9][0-9]{6})$', replace: '$&', trunk: 'backup', class: 'local', failover: [], origin: 'config' },
      ],
      inbound: [
        { did: '+15551230100', match: 'number', trunk: 'provider', to: '201', origin: 'config' },
        { did: '^\\+1555123020[0-9]$', match: 'pattern', trunk: 'provider', to: '202', origin: 'config' },
        { did: '*', match: 'any', trunk: 'backup', to: '200', origin: 'config' },
      ],
      emergency: { numbers: ['911', '112'], trunk: 'provider', fixed: true },
      skipped: [],
    });
  });
  test('never an account secret: no password, no digest user name, no registrar account in the body', async () => {
    const text = await (await api.call('GET', '/api/dial-plan')).text();
    for (const secret of [TRUNK_PW, BACKUP_PW, 'acct-5551230000', 'password']) expect(text).not.toContain(secret);
  });
  test('without trunks: empty lists and no emergency trunk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-dial-plan-none-'));
    const plan = presentDialPlan(parseConfig(`data_dir = "${dir}"\n`, 'test'));
    rmSync(dir, { recursive: true, force: true });
    expect(plan).toEqual({ trunks: [], routes: [], inbound: [], emergency: { numbers: ['911', '112'], trunk: null, fixed: true }, skipped: [] });
  });
  test('the plan itself: PUT, POST and DELETE are 405 with Allow: GET (entries are edited at their own paths)', async () => {
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const res = await api.call(method, '/api/dial-plan', method === 'DELETE' ? undefined : { routes: [] });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('GET');
    }
  });
  test('attack: without a session 401, with a forged cookie 401; nothing about the plan or the trunks leaks', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    const res = await anon.call('GET', '/api/dial-plan');
    expect(res.status).toBe(401);
    const forged = await fx.fetch(`${fx.web.url}/api/dial-plan`, { headers: { Cookie: 'appliance_session=forged' } });
    expect(forged.status).toBe(401);
    for (const text of [await res.text(), await forged.text()]) {
      for (const leak of ['provider', '5551230', TRUNK_PW, BACKUP_PW, '911']) expect(text).not.toContain(leak);
    }
  });
});
