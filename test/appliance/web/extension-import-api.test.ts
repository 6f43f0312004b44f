import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `POST /api/extensions/import` and `GET /api/extensions.csv` (issue 18) on a real server, with attacks. */
let fx: WebFixture;
let api: ApiClient;
const csv = (text: string, headers: Record<string, string> = {}) => api.call('POST', '/api/extensions/import', new TextEncoder().encode(text), { 'Content-Type': 'text/csv', ...headers });

beforeAll(async () => {
  fx = await startWebFixture();
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: 'Import-Admin-Pass-9' })).status).toBe(201);
});
afterAll(() => fx?.stop());

describe('extension CSV import and export', () => {
  test('imports all rows, generates the missing passwords (returned once), tells the workers, logs without secrets', async () => {
    const before = fx.view.storeChanges;
    const res = await csv('number,name,password\n301,Front desk,Quiet-Lamp-3017\n302,Store room,\n');
    expect(res.status).toBe(201);
    const body = await res.json() as { imported: { number: string; password?: string }[] };
    expect(body.imported.map((e) => e.number)).toEqual(['301', '302']);
    expect(body.imported[0]!.password).toBeUndefined();
    expect(body.imported[1]!.password).toHaveLength(16);
    expect(fx.view.storeChanges).toBe(before + 1);
    const event = fx.store.events.recent(5, 'admin.extension.import')[0]!;
    expect(JSON.stringify(event)).not.toContain(body.imported[1]!.password!);
    expect(JSON.stringify(event)).not.toContain('Quiet-Lamp-3017');
  });

  test('a bad row refuses the file naming each bad line, nothing changes', async () => {
    const res = await csv('number,name\n303,ok\n30x,bad\n301,exists\n');
    expect(res.status).toBe(400);
    const body = await res.json() as { error: { code: string; message: string; field: string; rows: { row: number; field: string }[] } };
    expect(body.error.message).toStartWith('import refused, nothing was changed: line 3: invalid extension number "30x"');
    expect(body.error.rows.map((r) => r.row)).toEqual([3, 4]);
    expect(fx.store.extensions.get('303')).toBeUndefined();
  });

  test('attacks: no session, cross-site, missing CSRF token, wrong type, malformed, oversized', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    expect((await anon.call('POST', '/api/extensions/import', new TextEncoder().encode('number\n401\n'), { 'Content-Type': 'text/csv' })).status).toBe(401);
    expect((await anon.call('GET', '/api/extensions.csv')).status).toBe(401);
    expect((await csv('number\n401\n', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await csv('number\n401\n', { 'X-CSRF-Token': 'wrong' })).status).toBe(403);
    expect((await csv('number\n401\n', { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(400);
    const malformed = await csv('number,name\n401,"never closed\n');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toContain('line 2: a quoted field is not closed');
    expect((await csv(`number,name\n401,${'x'.repeat(300 * 1024)}\n`)).status).toBe(413);
    expect(fx.store.extensions.get('401')).toBeUndefined();
  });

  test('the export is CSV with formula cells defused', async () => {
    fx.store.extensions.update('301', { displayName: '=cmd|" /C calc"!A0' });
    const res = await api.call('GET', '/api/extensions.csv');
    expect(res.headers.get('content-type')).toStartWith('text/csv');
    expect(res.headers.get('content-disposition')).toContain('extensions.csv');
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('number,name,e164,call_class,max_outside_calls,outside_calls_per_hour,registered_devices');
    expect(lines[1]).toStartWith('301,"\'=cmd|"" /C calc""!A0",');
  });
});
