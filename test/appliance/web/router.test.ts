import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { apiRoutes, type Route } from '../../../appliance/web/router.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';
import { head, rawRequest } from './support/raw-https.ts';

/**
 * The admin listener on Bun.serve `routes` (issue 13 item 10): what the API's route table adds
 * to Bun's matching (405 with Allow, overlapping paths, 501, 404 under /api/), and the Host
 * check, body limit and error map in front of every kind of route. A real server over HTTPS on
 * 127.0.202.1, clients from 127.0.202.2.
 */
const SERVER = '127.0.202.1';
const CLIENT = '127.0.202.2';
const PASSWORD = 'Router-Admin-Pw-7';

let fx: WebFixture;
let host: string;
const api = () => new ApiClient(fx.web.url, fx.web.certificate?.cert);
let admin: ApiClient;

beforeAll(async () => {
  fx = await startWebFixture({ listen: SERVER, extraRoutes: { '/mounted/': () => new Response('mounted'), '/exact': () => new Response('exact') } });
  host = `${SERVER}:${fx.web.port}`;
  admin = api();
  expect((await admin.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
});
afterAll(() => fx?.stop());

/** One request by hand (any method, any Host), the connection closed after the answer. */
const raw = (method: string, path: string, h = host, headers: Record<string, string> = {}) =>
  rawRequest({ host: SERVER, port: fx.web.port, tls: true, localAddress: CLIENT, head: head(method, path, h, { Connection: 'close', ...headers }), closeWaitMs: 0 });

describe('dispatch: Bun matches, the table answers what it does not', () => {
  test.each<[string, string, number, string | null, string | null]>([
    // method, path, status, Allow, error code
    ['GET', '/api/extensions', 401, null, 'unauthenticated'],
    ['HEAD', '/api/extensions', 401, null, null],
    ['DELETE', '/api/extensions', 405, 'GET, POST', 'method-not-allowed'],
    ['HEAD', '/api/login', 405, 'POST', null],
    ['OPTIONS', '/api/session', 405, 'GET', 'method-not-allowed'],
    ['PATCH', '/api/dns/7', 405, 'PUT, DELETE', 'method-not-allowed'],
    // /api/extensions/import (POST) and /api/extensions/:number (PUT, DELETE) overlap: what the
    // exact path lacks falls through to the parameter path, and Allow names both.
    ['GET', '/api/extensions/import', 405, 'POST, PUT, DELETE', 'method-not-allowed'],
    ['PUT', '/api/extensions/import', 401, null, 'unauthenticated'],
    ['PROPFIND', '/api/extensions', 501, null, 'method-not-implemented'],
    ['GET', '/api/nothing', 404, null, 'not-found'],
    ['GET', '/api/', 404, null, 'not-found'],
    ['GET', '/api/session/', 404, null, 'not-found'],
    ['GET', '/api/session', 200, null, null],
  ])('%s %s → %i', async (method, path, status, allow, code) => {
    const a = await raw(method, path);
    const got: { status: number; allow: string | null } = { status: a.status, allow: a.headers.allow ?? null };
    expect(got).toEqual({ status, allow });
    if (code) expect(JSON.parse(a.body).error.code).toBe(code);
    if (method === 'HEAD') expect(a.body).toBe('');
  });

  test.each<[string, string, number, string]>([
    ['GET', '/', 200, 'text/html'],
    ['GET', '/index.html', 200, 'text/html'],
    ['HEAD', '/', 200, 'text/html'],
    ['POST', '/', 404, 'text/plain'],
    ['GET', '/no-such-file.js', 404, 'text/plain'],
    ['GET', '/mounted/a/b', 200, 'text/plain'],
    ['DELETE', '/mounted/', 200, 'text/plain'],
    ['GET', '/exact', 200, 'text/plain'],
    ['GET', '/exact/more', 404, 'text/plain'],
    ['GET', '/mounted', 404, 'text/plain'],
  ])('%s %s → %i (%s)', async (method, path, status, type) => {
    const a = await raw(method, path);
    expect({ status: a.status, type: a.headers['content-type']?.split(';')[0] }).toEqual({ status, type });
  });

  test('path parameters arrive decoded; a broken escape is a 404 of the route, not a 500', async () => {
    const decoded = await admin.json('GET', '/api/calls/caf%C3%A9%40x/ladder');
    expect(decoded.status).toBe(404);
    expect(decoded.body.error.message).toBe('no call with Call-ID café@x');
    const broken = await admin.json('GET', '/api/calls/%zz/ladder');
    expect(broken.status).toBe(404);
    expect(broken.body.error.code).toBe('not-found');
  });
});

describe('in front of every kind of route', () => {
  test.each([
    ['GET', '/api/session'], ['DELETE', '/api/extensions'], ['PROPFIND', '/api/extensions'], ['GET', '/api/nothing'],
    ['GET', '/'], ['POST', '/'], ['GET', '/mounted/x'], ['GET', '/exact'], ['GET', '/no-such-file.js'],
  ])('%s %s with Host: evil.example → 421', async (method, path) => {
    expect((await raw(method, path, `evil.example:${fx.web.port}`)).status).toBe(421);
  });

  test.each([['POST', '/api/login'], ['GET', '/'], ['POST', '/mounted/x'], ['GET', '/nothing'], ['DELETE', '/api/extensions']])(
    '%s %s declaring a 1 MB body: refused before it is read (413; 405 for a method the path lacks), connection closed', async (method, path) => {
      const a = await raw(method, path, host, { 'Content-Length': String(1024 * 1024), 'Content-Type': 'application/json' });
      expect(a.status).toBe(path === '/api/extensions' ? 405 : 413);
      expect(a.headers.connection).toBe('close');
    },
  );

  test('a thrown error is answered through the one error map (CSRF: 403, JSON)', async () => {
    const a = await admin.call('POST', '/api/extensions', { number: '201' }, { 'X-CSRF-Token': 'wrong' });
    expect(a.status).toBe(403);
    expect((await a.json()).error.code).toBe('forbidden');
  });
});

describe('apiRoutes: the table is checked when it is built', () => {
  const h = () => new Response('');
  const build = (routes: Route[]) => apiRoutes(routes, async () => new Response(''), () => new Response('', { status: 405 }));
  test.each<[string, Route[], RegExp]>([
    ['one method twice on a path', [{ method: 'GET', path: '/api/a', handler: h }, { method: 'GET', path: '/api/a', handler: h }], /GET \/api\/a declared twice/],
    ['paths that cross', [{ method: 'GET', path: '/api/:x/c', handler: h }, { method: 'GET', path: '/api/b/:y', handler: h }], /overlap with neither the more specific/],
    ['one path, two parameter names', [{ method: 'GET', path: '/api/a/:x', handler: h }, { method: 'PUT', path: '/api/a/:y', handler: h }], /one path with two parameter names/],
  ])('%s: refused', (_, routes, message) => {
    expect(() => build(routes)).toThrow(message);
  });

  test('every method a path lacks gets the 405, except HEAD beside GET and what an overlapping path takes', () => {
    const table = build([
      { method: 'POST', path: '/api/x/import', handler: h },
      { method: 'GET', path: '/api/x', handler: h },
      { method: 'PUT', path: '/api/x/:id', handler: h },
    ]);
    expect(Object.keys(table['/api/x']).sort()).toEqual(['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(Object.keys(table['/api/x/import']).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST']);
    expect(Object.keys(table['/api/x/:id']).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
  });
});
