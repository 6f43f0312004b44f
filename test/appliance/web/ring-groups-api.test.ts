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
  // A trunk and routes (never dialled here: the web server alone) for outside members and the voicemail URI checks.
  const line = [
    '[[trunks]]', 'name = "provider"', 'registrar = "192.0.2.9:5060"', 'username = "5551230000"', 'password = "Trunk-Pass-Api-15"', 'domain = "provider.example"',
    '[[routes]]', 'name = "national"', 'pattern = "^9(1[2-8][0-9]{9})$"', 'replace = "+$1"', 'trunk = "provider"', 'class = "national"',
    '[[routes]]', 'name = "premium"', 'pattern = "^9(19[0-9]{9})$"', 'replace = "+$1"', 'trunk = "provider"', 'class = "premium"',
    '[emergency]', 'numbers = ["911"]', 'trunk = "provider"',
    // A peer, so that the list names the member an edit was made on.
    '[[peers]]', 'name = "a"', 'url = "https://127.0.0.9:8081"', 'sip = "127.0.0.9:5060"', 'secret = "peer-secret-of-the-groups-test"',
  ].join('\n');
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\ndomain = "office.lan"\n[web]\nlisten = "127.0.0.1"\nport = 0\n${line}\n`, 'test') });
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
    expect(set.body).toEqual({ extension: '201', dnd: true, forwardAlways: null, forwardBusy: '202', forwardNoAnswer: '203', noAnswerSeconds: 15, forwardUnreachable: null, voicemailUri: null });
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

describe('outside numbers as group members (issue 15)', () => {
  test('an outside member the dial plan routes in the group\'s class; the group\'s own class and limits', async () => {
    const made = await api.json('POST', '/api/groups', { number: '620', members: ['201', '912125551234'], maxOutsideCalls: 1, outsideCallsPerHour: 10 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ members: ['201', '912125551234'], callClass: 'national', maxOutsideCalls: 1, outsideCallsPerHour: 10 });
    // Lowering the class below a member's refuses, and changes nothing.
    const lower = await api.json('PUT', '/api/groups/620', { callClass: 'local' });
    expect(lower.status).toBe(400);
    expect(JSON.stringify(lower.body)).toContain('may not call national numbers');
    expect((await api.json('GET', '/api/groups')).body.find((g: { number: string }) => g.number === '620').callClass).toBe('national');
    expect((await api.call('DELETE', '/api/groups/620')).status).toBe(204);
  });

  const refused: [string, unknown, string][] = [
    ['an emergency number', { number: '621', members: ['911'] }, 'emergency number cannot be a group member'],
    ['a number no route takes', { number: '621', members: ['5551234'] }, 'no route of the dial plan takes it'],
    ['a premium number in a national group', { number: '621', members: ['919005551234'] }, 'may not call premium numbers'],
    ['a call class that does not exist', { number: '621', members: ['201'], callClass: 'free' }, 'callClass'],
    ['a limit beyond 1000', { number: '621', members: ['201'], outsideCallsPerHour: 5000 }, 'outsideCallsPerHour'],
  ];
  for (const [what, body, says] of refused) {
    test(`refuses ${what} (400) and makes no group`, async () => {
      const res = await api.json('POST', '/api/groups', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(says);
      expect((await api.json('GET', '/api/groups')).body.some((g: { number: string }) => g.number === '621')).toBe(false);
    });
  }
  test('a premium member once the group may call premium numbers', async () => {
    const made = await api.json('POST', '/api/groups', { number: '622', members: ['919005551234'], callClass: 'premium' });
    expect(made.status).toBe(201);
    expect((await api.call('DELETE', '/api/groups/622')).status).toBe(204);
  });
});

describe('per-extension voicemail (issue 15)', () => {
  test('set, read in the list, clear', async () => {
    const set = await api.json('PUT', '/api/extensions/203/features', { voicemailUri: 'sip:vm203@192.0.2.50:5070' });
    expect(set.status).toBe(200);
    expect(set.body.voicemailUri).toBe('sip:vm203@192.0.2.50:5070');
    expect((await api.json('GET', '/api/features')).body.find((f: { extension: string }) => f.extension === '203').voicemailUri).toBe('sip:vm203@192.0.2.50:5070');
    expect((await api.json('PUT', '/api/extensions/203/features', { voicemailUri: null })).body.voicemailUri).toBeNull();
  });

  const refused: [string, string, string][] = [
    ['a premium number at the trunk\'s provider', 'sip:+19005551234@provider.example', 'trunk\'s provider'],
    ['the trunk\'s registrar address', 'sip:vm@192.0.2.9', 'trunk\'s provider'],
    ['our own domain (a loop, or any of our numbers as "voicemail")', 'sip:201@office.lan', 'own domain'],
    ['our own SIP address and port', 'sip:vm@127.0.0.1:5060', 'own SIP address'],
    ['a tel: URI', 'tel:+19005551234', 'SIP URI'],
    ['a URI with headers', 'sip:vm@192.0.2.50?Subject=x', 'SIP URI'],
    ['a URI that is too long', `sip:${'v'.repeat(200)}@192.0.2.50`, 'SIP URI'],
  ];
  for (const [what, uri, says] of refused) {
    test(`attack: refuses ${what} (400), nothing changes`, async () => {
      const res = await api.json('PUT', '/api/extensions/202/features', { voicemailUri: uri, dnd: true });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(says);
      expect((await api.json('GET', '/api/extensions/202/features')).body).toMatchObject({ voicemailUri: null, dnd: false });
    });
  }

  test('attack: without a session 401 and the voicemail URI stays', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    expect((await anon.call('PUT', '/api/extensions/202/features', { voicemailUri: 'sip:vm@192.0.2.66' })).status).toBe(401);
    expect((await api.json('GET', '/api/extensions/202/features')).body.voicemailUri).toBeNull();
  });
});
