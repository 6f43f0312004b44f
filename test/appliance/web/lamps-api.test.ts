import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `GET /api/lamps` (busy lamps for the receptionist's console, issue 15) on a real server. */
let fx: WebFixture;
let api: ApiClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-lamps-'));
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\n[web]\nlisten = "127.0.0.1"\nport = 0\n`, 'test') });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
});
afterAll(() => fx?.stop());

describe('lamps API', () => {
  test('attack: no session, no lamps', async () => {
    expect((await api.json('GET', '/api/lamps')).status).toBe(401);
  });

  test('ringing, then in a call, then idle (not listed)', async () => {
    expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: 'Lamp-Console-Pw-1' })).status).toBe(201);
    expect((await api.json('GET', '/api/lamps')).body).toEqual([]);
    const call = { callId: 'c1', from: 'sip:201@office.lan', to: 'sip:202@office.lan' };
    fx.view.lampBoard.apply(1, [{ kind: 'trying', ...call, tags: ['a', ''], ts: Date.now(), callees: ['202'] }]);
    const ringing = await api.json('GET', '/api/lamps');
    expect(ringing.body).toMatchObject([
      { extension: '201', state: 'in-call', dialogs: [{ callId: 'c1', direction: 'initiator', state: 'trying', peer: 'sip:202@office.lan' }] },
      { extension: '202', state: 'ringing', dialogs: [{ callId: 'c1', direction: 'recipient', state: 'trying', peer: 'sip:201@office.lan' }] },
    ]);
    // Tags and the worker stay inside: the console needs who and what, not the dialog's keys.
    expect(ringing.body[1].dialogs[0].remoteTag).toBeUndefined();
    fx.view.lampBoard.apply(1, [{ kind: 'start', ...call, tags: ['a', 'b'], ts: Date.now(), answeredBy: '202' }]);
    expect((await api.json('GET', '/api/lamps')).body.map((l: { state: string }) => l.state)).toEqual(['in-call', 'in-call']);
    fx.view.lampBoard.apply(1, [{ kind: 'end', callId: 'c1', tags: ['b', 'a'], ts: Date.now() }]);
    expect((await api.json('GET', '/api/lamps')).body).toEqual([]);
  });

  test('the live lists carry the ringing calls: one per call with every ringing extension, gone once answered', async () => {
    const call = { callId: 'g1', from: 'sip:+15550100@office.lan', to: 'sip:600@office.lan' };
    const t = Date.now() - 2000;
    // A ring group rings 203 and 202; an extension's own outgoing call is not "ringing" for it.
    fx.view.lampBoard.apply(1, [{ kind: 'trying', ...call, tags: ['x', ''], ts: t, callees: ['203', '202'] }]);
    const status = await api.json('GET', '/api/status');
    expect(status.body.calls.ringing).toEqual([{ callId: 'g1', from: 'sip:+15550100@office.lan', callees: ['202', '203'], since: t }]);
    fx.view.lampBoard.apply(1, [{ kind: 'start', ...call, tags: ['x', 'y'], ts: Date.now(), answeredBy: '202' }]);
    expect((await api.json('GET', '/api/status')).body.calls.ringing).toEqual([]);
    fx.view.lampBoard.apply(1, [{ kind: 'end', callId: 'g1', tags: ['x', 'y'], ts: Date.now() }]);
  });

  test('GET /api/peers says whether this appliance sheds now, and since when', async () => {
    expect((await api.json('GET', '/api/peers')).body.shedding).toBeNull();
    fx.view.shedding = { since: 1000, callsPerSecond: 5, registersPerSecond: 10, retryAfterSeconds: 20, reason: 'saturated' };
    expect((await api.json('GET', '/api/peers')).body.shedding).toEqual(fx.view.shedding);
    fx.view.shedding = null;
  });
});
