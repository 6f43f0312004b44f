import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `GET /api/features` and `GET /api/feature-codes` (issue 15, the Forwarding page) on a real server. */
const PASSWORD = 'Correct-Horse-42';
let fx: WebFixture;
let api: ApiClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-fc-'));
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\n[web]\nlisten = "127.0.0.1"\nport = 0\n[feature_codes]\ndnd_on = "#78"\n[voicemail]\nuri = "sip:vm@192.0.2.5:5070"\n`, 'test') });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
  for (const n of ['201', '202']) expect((await api.json('POST', '/api/extensions', { number: n, password: `Quiet-Lamp-${n}7` })).status).toBe(201);
});
afterAll(() => fx?.stop());

describe('features list and feature codes API', () => {
  test("every extension's features, the defaults where nothing is set", async () => {
    await api.json('PUT', '/api/extensions/202/features', { dnd: true });
    const res = await api.json('GET', '/api/features');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { extension: '201', dnd: false, forwardAlways: null, forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null, voicemailUri: null },
      { extension: '202', dnd: true, forwardAlways: null, forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null, voicemailUri: null },
    ]);
  });

  test('the configured codes and voicemail server', async () => {
    const res = await api.json('GET', '/api/feature-codes');
    expect(res.body.codes.map((c: { code: string }) => c.code)).toEqual(['*72<number>', '*73', '#78', '*79', '**<extension>', '*8']);
    expect(res.body.voicemail).toEqual({ uri: 'sip:vm@192.0.2.5:5070', onBusy: true, onNoAnswer: true, noAnswerSeconds: 20 });
  });

  test('attack: without a session both are 401; they are read-only (a write is not routed)', async () => {
    for (const path of ['/api/features', '/api/feature-codes']) expect((await fx.fetch(`${fx.web.url}${path}`)).status).toBe(401);
    const put = await api.json('PUT', '/api/feature-codes', { codes: [] });
    expect([404, 405]).toContain(put.status);
  });
});
