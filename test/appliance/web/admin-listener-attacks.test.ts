import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';
import { head, rawRequest } from './support/raw-https.ts';
import { MAX_RESTORE_BYTES } from '../../../appliance/web/store-backup.ts';

/**
 * Attacks on the admin listener (issue 10, finding 11 and the HTTP part of 7), each against a
 * real server over HTTPS with its generated certificate on 127.0.10.1, clients bound to
 * 127.0.10.2-.9.
 */
const SERVER = '127.0.10.1';
const A = '127.0.10.2';
const B = '127.0.10.3';
const PASSWORD = 'Listener-Admin-Pw-7';
const MB200 = 200 * 1024 * 1024;

let fx: WebFixture;
let hostHeader: string;
const peerHits: string[] = [];

beforeAll(async () => {
  fx = await startWebFixture({
    listen: SERVER,
    webToml: 'hosts = ["pbx.office.lan"]',
    auth: { loginLimits: { freeFailures: 3, baseLockMs: 60_000, maxLockMs: 60_000, maxSources: 100 } },
    peerRoutes: {
      '/peer/': async (req, client) => {
        peerHits.push(`${client} ${(await req.text()).length}`);
        return new Response('peer ok');
      },
    },
  });
  hostHeader = `${SERVER}:${fx.web.port}`;
});
afterAll(() => fx?.stop());

const raw = (h: string, more: { localAddress?: string; more?: string[]; waitMs?: number; closeWaitMs?: number } = {}) =>
  rawRequest({ host: SERVER, port: fx.web.port, tls: true, head: h, localAddress: more.localAddress ?? A, ...more });

describe('DNS rebinding: Host allowlist', () => {
  test.each([
    ['GET', '/'], ['GET', '/api/session'], ['POST', '/api/login'], ['POST', '/api/setup'], ['POST', '/peer/heartbeat'], ['GET', '/api/extensions'],
  ])('%s %s with Host: evil.example → 421, public routes included', async (method, path) => {
    const a = await raw(head(method, path, `evil.example:${fx.web.port}`, { 'Content-Length': '2', 'Content-Type': 'application/json' }) + '{}');
    expect(a.status).toBe(421);
  });

  test('the listen address, a configured name, and localhost (loopback listener) are served', async () => {
    for (const host of [hostHeader, `pbx.office.lan:${fx.web.port}`, 'PBX.office.lan', `localhost:${fx.web.port}`, '127.0.0.1']) {
      expect({ host, status: (await raw(head('GET', '/api/session', host))).status }).toEqual({ host, status: 200 });
    }
  });

  test('a missing or malformed Host is refused too', async () => {
    expect((await raw('GET /api/session HTTP/1.0\r\n\r\n')).status).toBeOneOf([400, 421]);
    expect((await raw(head('GET', '/api/session', 'a b@c'))).status).toBeOneOf([400, 421]);
    expect((await raw(head('GET', '/api/session', `${SERVER}.evil.example`))).status).toBe(421);
  });
});

describe('body limits before reading', () => {
  test.each(['/api/login', '/api/setup', '/peer/heartbeat', '/control/status', '/api/extensions', '/'])(
    'POST %s with Content-Length 200 MB: 413 at once, connection closed, body never read', async (path) => {
      const a = await raw(head('POST', path, hostHeader, { 'Content-Length': String(MB200), 'Content-Type': 'application/json' }) + '{"password":"');
      expect(a.status).toBe(413);
      expect(a.ms).toBeLessThan(1000);
      expect(a.closed).toBe(true);
    });

  test('65 KiB declared to login: 413; 60 KiB: read and answered', async () => {
    expect((await raw(head('POST', '/api/login', hostHeader, { 'Content-Length': String(65 * 1024), 'Content-Type': 'application/json' }))).status).toBe(413);
    const body = JSON.stringify({ password: 'x'.repeat(60 * 1024) });
    const ok = await raw(head('POST', '/api/login', hostHeader, { 'Content-Length': String(body.length), 'Content-Type': 'application/json' }) + body, { localAddress: '127.0.10.9' });
    expect(ok.status).toBeOneOf([400, 409]); // too long a password / no password set yet: read and judged
  });

  test('a chunked body that passes 64 KiB is cut while streaming (login and peer API)', async () => {
    const chunk = `${(16 * 1024).toString(16)}\r\n${'a'.repeat(16 * 1024)}\r\n`;
    for (const path of ['/api/login', '/peer/heartbeat']) {
      const before = peerHits.length;
      const a = await raw(head('POST', path, hostHeader, { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' }) + chunk,
        { more: Array(40).fill(chunk), waitMs: 5000, localAddress: '127.0.10.9' });
      expect({ path, status: a.status }).toEqual({ path, status: 413 });
      expect(a.closed).toBe(true);
      expect(peerHits.length).toBe(before); // the handler never got a body
    }
    // Refused for its type before it is read: closed too, not drained.
    const wrongType = await raw(head('POST', '/api/login', hostHeader, { 'Transfer-Encoding': 'chunked' }) + chunk,
      { more: Array(40).fill(chunk), waitMs: 5000, localAddress: '127.0.10.9' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.closed).toBe(true);
  });

  test('the restore upload: larger than 64 KiB only with a session and CSRF token', async () => {
    const big = new Uint8Array(200 * 1024);
    // Within the restore's own limit, but no session: 401 before one body byte is read.
    const anon = await raw(head('POST', '/api/system/restore', hostHeader, { 'Content-Length': String(MAX_RESTORE_BYTES) }) + 'SQLite');
    expect(anon.status).toBe(401);
    expect(anon.closed).toBe(true);
    const api = await loggedIn();
    const noCsrf = await api.call('POST', '/api/system/restore', big, { 'X-CSRF-Token': '' });
    expect(noCsrf.status).toBe(403);
    const res = await api.call('POST', '/api/system/restore', big);
    expect(res.status).not.toBe(413); // read by the restore handler, which judges the file itself
  });
});

describe('login lockout per source', () => {
  test('brute force from A locks A (429, even with the right password) while B logs in', async () => {
    await loggedIn();
    const login = (from: string, password: string) => {
      const body = JSON.stringify({ password });
      return raw(head('POST', '/api/login', hostHeader, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }) + body, { localAddress: from, closeWaitMs: 0 });
    };
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push((await login(A, `wrong-guess-${i}`)).status);
    expect(seen.slice(0, 3)).toEqual([401, 401, 401]);
    expect(seen.slice(4)).toEqual([429, 429]);
    const locked = await login(A, PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(B, PASSWORD)).status).toBe(200);
  }, 20_000);

  test('many failing sources do not lock out another one (no global lock)', async () => {
    const body = JSON.stringify({ password: 'spray-guess' });
    for (let i = 4; i <= 8; i++) {
      for (let k = 0; k < 4; k++) {
        await raw(head('POST', '/api/login', hostHeader, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }) + body, { localAddress: `127.0.10.${i}`, closeWaitMs: 0 });
      }
    }
    const ok = JSON.stringify({ password: PASSWORD });
    expect((await raw(head('POST', '/api/login', hostHeader, { 'Content-Type': 'application/json', 'Content-Length': String(ok.length) }) + ok, { localAddress: B })).status).toBe(200);
  }, 20_000);
});

let admin: ApiClient | undefined;
/** The admin session (first-run setup on the first call). */
async function loggedIn(): Promise<ApiClient> {
  if (admin) return admin;
  const api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  const setup = await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD });
  expect(setup.status).toBe(201);
  admin = api;
  return api;
}
