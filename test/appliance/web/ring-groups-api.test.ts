import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

/** `/api/groups` and `/api/extensions/:number/features` (issue 15) on a real server. */
const PASSWORD = 'Correct-Horse-42';
let fx: WebFixture;
let api: ApiClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-groups-'));
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\n[web]\nlisten = "127.0.0.1"\nport = 0\n`, 'test') });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD })).status).toBe(201);
  for (const n of ['201', '202', '203']) expect((await api.json('POST', '/api/extensions', { number: n, password: `Quiet-Lamp-${n}7` })).status).toBe(201);
});
afterAll(() => fx?.stop());

describe('ring groups API', () => {
  test('create, read, change, delete', async () => {
    const made = await api.json('POST', '/api/groups', { number: '600', name: 'Reception', members: ['201', '202'], strategy: 'hunt', ringSeconds: 10 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ number: '600', name: 'Reception', strategy: 'hunt', members: ['201', '202'], ringSeconds: 10, timeoutSeconds: 60, fallback: null });
    const changed = await api.json('PUT', '/api/groups/600', { members: ['203'], fallback: '201' });
    expect(changed.body).toMatchObject({ members: ['203'], fallback: '201', strategy: 'hunt' });
    expect((await api.json('GET', '/api/groups')).body.map((g: { number: string }) => g.number)).toEqual(['600']);
    fx.store.configVersions.setOrigin('box-b'); // the control section sets it to [name] at start
    await api.json('PUT', '/api/groups/600', { name: 'Front desk' });
    expect((await api.json('GET', '/api/groups')).body).toMatchObject([{ number: '600', name: 'Front desk', editedOn: 'box-b' }]);
    expect((await api.call('DELETE', '/api/groups/600')).status).toBe(204);
    expect((await api.json('GET', '/api/groups')).body).toEqual([]);
  });

  const refused: [string, unknown, string][] = [
    ['an extension number', { number: '201', members: ['202'] }, 'number'],
    ['members not a list', { number: '601', members: '201,202' }, 'members'],
    ['an object as a member', { number: '601', members: [{ $gt: '' }] }, 'members'],
    ['too many members', { number: '601', members: Array.from({ length: 33 }, (_, i) => String(300 + i)) }, 'members'],
    ['an unknown field', { number: '601', members: ['201'], script: 'x' }, 'script'],
    ['a fallback URI', { number: '601', members: ['201'], fallback: 'sip:x@evil.example' }, 'fallback'],
    ['a ring time as a string', { number: '601', members: ['201'], ringSeconds: '10' }, 'ringSeconds'],
  ];
  for (const [what, body, field] of refused) {
    test(`refuses ${what} with 400 naming the field`, async () => {
      const res = await api.json('POST', '/api/groups', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    });
  }
});

describe('forwarding and do-not-disturb API', () => {
  test('set and clear', async () => {
    const set = await api.json('PUT', '/api/extensions/201/features', { dnd: true, forwardBusy: '202', forwardNoAnswer: '203', noAnswerSeconds: 15 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ extension: '201', dnd: true, forwardAlways: null, forwardBusy: '202', forwardNoAnswer: '203', noAnswerSeconds: 15, forwardUnreachable: null });
    const cleared = await api.json('PUT', '/api/extensions/201/features', { dnd: false, forwardBusy: null });
    expect(cleared.body).toMatchObject({ dnd: false, forwardBusy: null, forwardNoAnswer: '203' });
    expect((await api.json('GET', '/api/extensions/201/features')).body).toEqual(cleared.body);
  });

  test('one bad field changes nothing', async () => {
    const res = await api.json('PUT', '/api/extensions/202/features', { forwardAlways: '203', forwardBusy: '299' });
    expect(res.status).toBe(400);
    expect((await api.json('GET', '/api/extensions/202/features')).body.forwardAlways).toBeNull();
  });

  test('refuses a forward to itself, a dnd that is not a boolean, an unknown extension', async () => {
    expect((await api.json('PUT', '/api/extensions/202/features', { forwardAlways: '202' })).status).toBe(400);
    expect((await api.json('PUT', '/api/extensions/202/features', { dnd: 'yes' })).status).toBe(400);
    expect((await api.json('GET', '/api/extensions/299/features')).status).toBe(404);
  });

  test('attack: without a session 401 and nothing changes; a forged cookie 401', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    expect((await anon.call('PUT', '/api/extensions/202/features', { forwardAlways: '203' })).status).toBe(401);
    expect((await anon.call('POST', '/api/groups', { number: '650', members: ['201'] })).status).toBe(401);
    const forged = await fx.fetch(`${fx.web.url}/api/groups`, { headers: { Cookie: 'appliance_session=forged' } });
    expect(forged.status).toBe(401);
    expect((await api.json('GET', '/api/extensions/202/features')).body.forwardAlways).toBeNull();
    expect((await api.json('GET', '/api/groups')).body).toEqual([]);
  });
});
