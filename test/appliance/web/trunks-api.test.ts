import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `GET /api/trunks` (issue 14) on a real server over a real store; the states come from the view. */
const PASSWORD = 'Correct-Horse-42';
const TRUNK_PW = 'Trunk-Secret-Pass-9';
let fx: WebFixture;
let api: ApiClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-trunks-'));
  const config = parseConfig(`data_dir = "${dir}"
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
caller_id = "+15551230000"
[[trunks]]
name = "gateway"
registrar = "192.0.2.10:5070"
transport = "tcp"
username = "office"
register = false
[emergency]
trunk = "provider"
`, 'test');
  fx = await startWebFixture({ config });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
});
afterAll(() => fx?.stop());

describe('GET /api/trunks', () => {
  test('name, state, reason, expiry and the account; never the password', async () => {
    const now = Date.now();
    fx.view.trunkList = [
      { name: 'provider', state: 'up', reason: undefined, registrar: 'sip.provider.example', expiresAt: now + 1800_000, retryAt: undefined },
      { name: 'gateway', state: 'static', reason: undefined, registrar: '192.0.2.10:5070', expiresAt: undefined, retryAt: undefined },
    ];
    const res = await api.json('GET', '/api/trunks');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { name: 'provider', state: 'up', reason: null, registrar: 'sip.provider.example', expiresAt: now + 1800_000, expiresInSeconds: expect.any(Number), retryAt: null,
        transport: 'udp', username: '5551230000', domain: 'sip.provider.example', register: true, callerId: '+15551230000', origin: 'config', editedOn: null,
        authUsername: '5551230000', keepalive: 30, tlsCa: null },
      { name: 'gateway', state: 'static', reason: null, registrar: '192.0.2.10:5070', expiresAt: null, expiresInSeconds: null, retryAt: null,
        transport: 'tcp', username: 'office', domain: '192.0.2.10', register: false, callerId: null, origin: 'config', editedOn: null,
        authUsername: 'office', keepalive: 30, tlsCa: null },
    ]);
    expect(Math.abs(res.body[0].expiresInSeconds - 1800)).toBeLessThanOrEqual(1);
    expect(JSON.stringify(res.body)).not.toContain(TRUNK_PW);
  });
  test('a failed trunk carries the provider\'s reason and the next attempt', async () => {
    fx.view.trunkList = [{ name: 'provider', state: 'failed', reason: '403 Wrong password', registrar: 'sip.provider.example', expiresAt: undefined, retryAt: Date.now() + 8000 }];
    const res = await api.json('GET', '/api/trunks');
    expect(res.body[0]).toMatchObject({ state: 'failed', reason: '403 Wrong password', expiresAt: null, retryAt: expect.any(Number) });
  });
  test('attack: without a session 401, with a forged cookie 401; nothing about the trunks leaks', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    const res = await anon.call('GET', '/api/trunks');
    expect(res.status).toBe(401);
    const forged = await fx.fetch(`${fx.web.url}/api/trunks`, { headers: { Cookie: 'appliance_session=forged' } });
    expect(forged.status).toBe(401);
    const text = await forged.text();
    expect(text).not.toContain('provider');
    expect(text).not.toContain(TRUNK_PW);
  });
});
