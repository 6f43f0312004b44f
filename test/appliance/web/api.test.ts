import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { BindingRecord } from '../../../system/store/index.ts';
import { ownSipTarget } from '../../../appliance/dns/index.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

const PEER_TOML = '[[peers]]\nname = "b"\nurl = "https://127.0.0.9:8081"\nsip = "127.0.0.9:5060"\nsecret = "peer-secret-of-the-api-test"';

/** The admin JSON API against a real server on 127.0.0.1:0 over a real store (docs/API.md). */
const PASSWORD = 'Correct-Horse-42';
const EXT_PW = 'Str0ng-Secret-77';

function binding(ext: string, contact: string, over: Partial<BindingRecord> = {}): BindingRecord {
  const now = Date.now();
  return {
    aor: `sip:${ext}@office.lan`, contact, expiresAt: now + 3600_000, q: 1, callId: `c-${ext}-${contact}`, cseq: 1,
    source: 'udp:192.168.1.20:5062', transport: 'udp', userAgent: 'Test Phone 1.0', version: 1, updatedAt: now, ...over,
  };
}

let fx: WebFixture;
let api: ApiClient;

beforeAll(async () => {
  // One peer configured: the lists name the member an edit was made on (without peers they do not).
  fx = await startWebFixture({ extraRoutes: { '/peer/': () => new Response('peer api', { status: 200 }) }, webToml: PEER_TOML });
  api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
});
afterAll(() => fx?.stop());

describe('first-run setup', () => {
  test('no password yet: the setup token is printed, setup needs it, and happens once', async () => {
    expect(fx.web.setupToken).toBeString();
    expect(fx.lines.some((l) => l.includes(fx.web.setupToken!))).toBe(true);
    expect((await api.json('GET', '/api/session')).body).toEqual({ setupRequired: true, authenticated: false });
    expect((await api.json('POST', '/api/login', { password: PASSWORD })).status).toBe(409);

    const missing = await api.json('POST', '/api/setup', { password: PASSWORD });
    expect(missing.status).toBe(400);
    expect(missing.body.error.field).toBe('token');
    expect((await api.json('POST', '/api/setup', { token: 'guess', password: PASSWORD })).status).toBe(403);
    const weak = await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak-password');

    const ok = await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: PASSWORD });
    expect(ok.status).toBe(201);
    expect(api.cookie).toStartWith('appliance_session=');
    expect(api.csrf.length).toBeGreaterThan(20);
    const again = await new ApiClient(fx.web.url, fx.web.certificate?.cert).json('POST', '/api/setup', { token: fx.web.setupToken, password: 'Another-Pass-99' });
    expect(again.status).toBe(409);
    expect(fx.store.settings.get('admin.password_hash')).toStartWith('$argon2');
  });

  test('the session cookie is HttpOnly, SameSite=Strict, with an expiry', async () => {
    const c = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    const res = await c.call('POST', '/api/login', { password: PASSWORD });
    expect(res.status).toBe(200);
    const set = res.headers.get('set-cookie')!;
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toMatch(/Max-Age=\d+/);
  });
});

describe('authentication and CSRF', () => {
  test('every API route needs a session: 401 without one', async () => {
    const anon = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    for (const [method, path] of [
      ['GET', '/api/extensions'], ['GET', '/api/registrations'], ['GET', '/api/calls'], ['GET', '/api/dns'],
      ['GET', '/api/events'], ['GET', '/api/live'], ['GET', '/api/history'], ['GET', '/api/system/backup'],
      ['GET', '/api/peers'], ['POST', '/api/extensions'], ['DELETE', '/api/extensions/201'], ['POST', '/api/logout'],
      ['GET', '/api/bans'], ['POST', '/api/bans/lift'],
    ] as const) {
      const res = await anon.call(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
    const forged = await fx.fetch(`${fx.web.url}/api/extensions`, { headers: { Cookie: 'appliance_session=forged' } });
    expect(forged.status).toBe(401);
  });

  test('wrong password: 401', async () => {
    expect((await new ApiClient(fx.web.url, fx.web.certificate?.cert).json('POST', '/api/login', { password: 'Wrong-Password-1' })).status).toBe(401);
  });

  test('cross-site POST without the CSRF token: 403, and the change is not made', async () => {
    const body = JSON.stringify({ number: '299', password: EXT_PW });
    const post = (headers: Record<string, string>) =>
      fx.fetch(`${fx.web.url}/api/extensions`, { method: 'POST', body, headers: { Cookie: api.cookie, 'Content-Type': 'application/json', ...headers } });
    expect((await post({ Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ Origin: 'http://evil.example', 'X-CSRF-Token': api.csrf })).status).toBe(403);
    expect((await post({ 'Sec-Fetch-Site': 'cross-site', 'X-CSRF-Token': api.csrf })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    expect((await post({ 'X-CSRF-Token': 'not-the-token' })).status).toBe(403);
    expect(fx.store.extensions.get('299')).toBeUndefined();
    // A cross-site login attempt (login CSRF) is refused as well.
    const login = await fx.fetch(`${fx.web.url}/api/login`, {
      method: 'POST', body: JSON.stringify({ password: PASSWORD }), headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
    });
    expect(login.status).toBe(403);
    // A form post (not JSON) never reaches a handler.
    const form = await fx.fetch(`${fx.web.url}/api/extensions`, {
      method: 'POST', body: 'number=298', headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(400);
  });

  test('extra (peer) routes are served before the session check', async () => {
    const res = await fx.fetch(`${fx.web.url}/peer/heartbeat`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('peer api');
  });
});

describe('extensions', () => {
  test('add, validation errors as 400 and 409, edit, remove', async () => {
    const before = fx.view.storeChanges;
    fx.store.configVersions.setOrigin('box-a'); // the control section sets it to [name] at start
    const add = await api.json('POST', '/api/extensions', { number: '201', password: EXT_PW, displayName: 'Reception', e164: '+15551230201' });
    expect(add.status).toBe(201);
    // The list says which member of the peer group the last edit was made on (issue 19).
    expect((await api.json('GET', '/api/extensions')).body).toMatchObject([{ number: '201', editedOn: 'box-a' }]);
    expect(add.body).toMatchObject({ number: '201', displayName: 'Reception', e164: '+15551230201' });
    expect(JSON.stringify(add.body)).not.toContain('ha1');
    expect(fx.view.storeChanges).toBe(before + 1);

    const cases: [unknown, number, string, string?][] = [
      [{ number: '2a', password: EXT_PW }, 400, 'invalid-input', 'number'],
      [{ number: '202', password: 'weak' }, 400, 'weak-password', 'password'],
      [{ number: '202' }, 400, 'invalid-input', 'password'],
      [{ number: '202', password: EXT_PW, e164: '5551234' }, 400, 'invalid-input', 'e164'],
      [{ number: '202', password: EXT_PW, colour: 'red' }, 400, 'invalid-input', 'colour'],
      [{ number: 202, password: EXT_PW }, 400, 'invalid-input', 'number'],
      [{ number: '202', password: EXT_PW, digest: 'sha-1' }, 400, 'invalid-input', 'digest'],
      [{ number: '202', password: EXT_PW, digest: 5 }, 400, 'invalid-input', 'digest'],
      // [emergency] numbers (911, 112 by default) always go out, never to an extension (issue 14).
      [{ number: '911', password: EXT_PW }, 400, 'invalid-input', 'number'],
      [{ number: '112', password: EXT_PW }, 400, 'invalid-input', 'number'],
      [{ number: '201', password: EXT_PW }, 409, 'conflict'],
      [{ number: '202', password: EXT_PW, e164: '+15551230201' }, 409, 'conflict'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await api.json('POST', '/api/extensions', body);
      expect({ body, status: res.status, code: res.body.error.code }).toEqual({ body, status, code });
      if (field) expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toBeString();
    }
    const notJson = await api.call('POST', '/api/extensions', undefined, { 'Content-Type': 'application/json' });
    expect(notJson.status).toBe(400);

    const edit = await api.json('PUT', '/api/extensions/201', { displayName: 'Front desk', e164: null });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ displayName: 'Front desk', e164: null });
    const ha1 = fx.store.extensions.get('201')!.ha1Md5;
    expect((await api.json('PUT', '/api/extensions/201', { password: 'New-Strong-Pass-5' })).status).toBe(200);
    expect(fx.store.extensions.get('201')!.ha1Md5).not.toBe(ha1);
    expect((await api.json('PUT', '/api/extensions/209', { displayName: 'x' })).status).toBe(404);
    expect(add.body).toMatchObject({ digest: 'default', sha256Learnt: [] });
    fx.store.extensions.learnSha256('201', 'linphone');
    expect((await api.json('GET', '/api/extensions')).body[0]).toMatchObject({ digest: 'default', sha256Learnt: ['linphone'] });
    const sha = await api.json('PUT', '/api/extensions/201', { digest: 'sha-256' });
    expect(sha.body).toMatchObject({ digest: 'sha-256', sha256Learnt: [] });
    expect((await api.json('PUT', '/api/extensions/201', { digest: 'DROP TABLE' })).body.error).toMatchObject({ code: 'invalid-input', field: 'digest' });
    // Outside-call permissions (issue 14): defaults, a change, bad values named.
    expect(sha.body).toMatchObject({ callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null });
    const perm = await api.json('PUT', '/api/extensions/201', { callClass: 'international', maxOutsideCalls: 1, outboundCallerId: '+15551230201' });
    expect(perm.body).toMatchObject({ callClass: 'international', maxOutsideCalls: 1, outsideCallsPerHour: 30, outboundCallerId: '+15551230201' });
    expect((await api.json('PUT', '/api/extensions/201', { callClass: 'all' })).body.error).toMatchObject({ field: 'callClass' });
    expect((await api.json('PUT', '/api/extensions/201', { maxOutsideCalls: -1 })).body.error).toMatchObject({ field: 'maxOutsideCalls' });
    expect((await api.json('PUT', '/api/extensions/201', { outboundCallerId: '<sip:x>' })).body.error).toMatchObject({ field: 'outboundCallerId' });

    const list = await api.json('GET', '/api/extensions');
    expect(list.body.map((e: { number: string }) => e.number)).toEqual(['201']);
    expect((await api.call('DELETE', '/api/extensions/201')).status).toBe(204);
    expect((await api.json('DELETE', '/api/extensions/201')).status).toBe(404);
    const prov = await api.json('GET', '/api/provisioning');
    expect(prov.body).toMatchObject({ server: '127.0.0.1', servers: ['127.0.0.1'], port: 5060, domain: 'office.lan' });
    // The name the SRV records point at (dns/zone-data.ts ownSipHost, its one builder).
    expect(prov.body.dnsName).toBe(ownSipTarget(fx.config).host);
  });
});

describe('registrations', () => {
  test('lists the store\'s registrations and unregisters one', async () => {
    fx.store.registrations.apply([
      { kind: 'upsert', binding: binding('201', 'sip:201@192.168.1.20:5062') },
      { kind: 'upsert', binding: binding('202', 'sip:202@192.168.1.21:5060', { userAgent: '<b>Phone</b>' }) },
    ]);
    const list = await api.json('GET', '/api/registrations');
    expect(list.body.map((r: { extension: string }) => r.extension)).toEqual(['201', '202']);
    expect(list.body[1]).toMatchObject({ contact: 'sip:202@192.168.1.21:5060', userAgent: '<b>Phone</b>', transport: 'udp' });
    expect(list.body[0].expiresIn).toBeGreaterThan(3500);

    const un = await api.json('POST', '/api/registrations/unregister', { aor: 'sip:201@office.lan', contact: 'sip:201@192.168.1.20:5062' });
    expect(un.status).toBe(200);
    expect((await api.json('GET', '/api/registrations')).body).toHaveLength(1);
    expect((await api.json('POST', '/api/registrations/unregister', { aor: 'sip:201@office.lan', contact: 'sip:201@192.168.1.20:5062' })).status).toBe(404);
  });
});

describe('DNS records', () => {
  test('add with validation, edit, remove; derived records listed', async () => {
    const add = await api.json('POST', '/api/dns', { name: 'printer', type: 'A', value: '192.168.1.50' });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ name: 'printer.office.lan', type: 'A', value: '192.168.1.50' });
    expect((await api.json('POST', '/api/dns', { name: 'printer', type: 'A', value: '192.168.1.999' })).body.error.field).toBe('value');
    expect((await api.json('POST', '/api/dns', { name: 'printer', type: 'MX', value: 'x' })).status).toBe(400);
    expect((await api.json('POST', '/api/dns', { name: 'printer', type: 'A', value: '192.168.1.50' })).status).toBe(409);
    expect((await api.json('POST', '/api/dns', { name: 'printer', type: 'CNAME', value: 'other.office.lan' })).status).toBe(409);

    const bad = await api.json('PUT', `/api/dns/${add.body.id}`, { name: 'printer', type: 'A', value: 'nope' });
    expect(bad.status).toBe(400);
    expect(fx.store.dnsRecords.get(add.body.id)).toBeDefined(); // the failed edit left the record
    const edit = await api.json('PUT', `/api/dns/${add.body.id}`, { name: 'printer', type: 'A', value: '192.168.1.51', ttl: 300 });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ value: '192.168.1.51', ttl: 300 });

    const list = await api.json('GET', '/api/dns');
    expect(list.body.records.some((r: { derived: string | null }) => r.derived === 'registration')).toBe(true);
    expect(list.body.records.some((r: { derived: string | null; value: string }) => r.derived === null && r.value === '192.168.1.51')).toBe(true);
    // Which member of the peer group the admin record's last edit was made on (issue 19); derived records have none.
    expect(list.body.records.find((r: { value: string }) => r.value === '192.168.1.51')).toMatchObject({ editedOn: 'box-a' });
    expect(list.body.records.find((r: { derived: string | null }) => r.derived === 'registration')).toMatchObject({ editedOn: null });
    expect((await api.call('DELETE', `/api/dns/${edit.body.id}`)).status).toBe(204);
    expect((await api.json('DELETE', `/api/dns/${edit.body.id}`)).status).toBe(404);
    expect((await api.json('DELETE', '/api/dns/abc')).status).toBe(400);
  });
});

describe('calls, status and the live stream', () => {
  test('active and recent calls with a ladder', async () => {
    fx.view.calls.apply(1, [{ kind: 'start', callId: 'call-a', tags: ['f1', 't1'], from: 'sip:201@office.lan', to: 'sip:202@office.lan', ts: Date.now() - 5000 }]);
    fx.view.calls.apply(1, [{ kind: 'start', callId: 'call-b', tags: ['f2', 't2'], from: 'sip:202@office.lan', to: 'sip:203@office.lan', ts: Date.now() - 4000 }]);
    fx.view.calls.apply(2, [{ kind: 'end', callId: 'call-b', tags: ['t2', 'f2'], ts: Date.now() }]);
    const calls = await api.json('GET', '/api/calls');
    expect(calls.body.active.map((c: { callId: string }) => c.callId)).toEqual(['call-a']);
    expect(calls.body.recent.map((c: { callId: string }) => c.callId)).toEqual(['call-b']);
    const ladder = await api.json('GET', '/api/calls/call-b/ladder');
    expect(ladder.body.steps.map((s: { label: string }) => s.label)).toEqual(['INVITE', 'INVITE', '200 OK', '200 OK', 'ACK', 'ACK', 'BYE', 'BYE', '200 OK', '200 OK']);
    expect((await api.json('GET', '/api/calls/nope/ladder')).status).toBe(404);
  });

  test('history and SSE carry real samples', async () => {
    await fx.view.sample([{ cpuShare: 0.2 }, { cpuShare: 0.4 }]);
    const history = await api.json('GET', '/api/history?limit=10');
    expect(history.body).toHaveLength(1);
    expect(history.body[0].workers.map((w: { cpuShare: number }) => w.cpuShare)).toEqual([0.2, 0.4]);
    expect(history.body[0].callsPerSecond).toBe(4);
    expect(history.body[0].registrations).toBe(1);

    const res = await api.call('GET', '/api/live');
    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await read('event: snapshot');
    await fx.view.sample([{ cpuShare: 0.7 }]);
    await read('event: sample');
    const sample = JSON.parse(text.split('event: sample\ndata: ')[1].split('\n')[0]);
    expect(sample.workers[0].cpuShare).toBe(0.7);
    await reader.cancel();
    const status = await api.json('GET', '/api/status');
    expect(status.body.latest.workers[0].cpuShare).toBe(0.7);
    expect(status.body.registrations).toHaveLength(1);
  });

  test('peers: manual hand-off and take-back reach the view', async () => {
    fx.view.peerList = [{ name: 'b', url: 'http://10.0.0.2:8080', sip: '10.0.0.2:5060', state: 'up', lastHeartbeatAt: Date.now(), role: 'normal' }];
    expect((await api.json('GET', '/api/peers')).body.policy.peers).toEqual(['b']);
    expect((await api.json('POST', '/api/peers/zz/hand-off')).status).toBe(404);
    expect((await api.json('POST', '/api/peers/b/hand-off')).body.ok).toBe(true);
    expect((await api.json('GET', '/api/peers')).body.handOff).toMatchObject({ to: 'b', cause: 'admin' });
    // A refusal is a 409 in the error shape of every endpoint, with the reason (was a bare "Conflict" in the UI).
    expect(await api.json('POST', '/api/peers/b/hand-off')).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: 'already handed off to b' } } });
    expect((await api.json('POST', '/api/control/take-back')).status).toBe(200);
    expect(await api.json('POST', '/api/control/take-back')).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: 'nothing was handed off' } } });
    expect((await api.json('GET', '/api/peers')).body.handOff).toMatchObject({ to: null });
    expect(fx.view.handOffs).toEqual(['b']);
    expect(fx.view.takeBacks).toBe(1);
  });
});

describe('event log', () => {
  test('filters by kind prefix and text', async () => {
    const all = await api.json('GET', '/api/events?limit=100');
    expect(all.body.length).toBeGreaterThan(5);
    const ext = await api.json('GET', '/api/events?kind=admin.extension');
    expect(ext.body.length).toBeGreaterThan(0);
    expect(ext.body.every((e: { kind: string }) => e.kind.startsWith('admin.extension'))).toBe(true);
    const removed = await api.json('GET', '/api/events?q=removed');
    expect(removed.body.every((e: { message: string }) => e.message.includes('removed'))).toBe(true);
    expect((await api.json('GET', '/api/events?kind=%3Cscript')).status).toBe(400);
    expect((await api.json('GET', '/api/events?limit=2')).body).toHaveLength(2);
  });
});

describe('backup and restore', () => {
  test('a backup without secrets is JSON of the configuration; restore brings it back atomically (store-backup.test.ts has the attacks)', async () => {
    await api.json('POST', '/api/extensions', { number: '301', password: EXT_PW, displayName: 'Backup me' });
    const res = await api.call('GET', '/api/system/backup');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    expect(doc.secrets).toBe(false);
    expect(doc.extensions.find((e: { number: string }) => e.number === '301')).toEqual({
      number: '301', displayName: 'Backup me', e164: null, digest: 'default',
      permissions: { callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null },
    });

    const kept = fx.store.extensions.get('301')!;
    await api.json('POST', '/api/extensions', { number: '302', password: EXT_PW });
    const restored = await api.json('POST', '/api/system/restore', bytes);
    expect(restored.status).toBe(200);
    expect(fx.store.extensions.list().map((e) => e.number)).not.toContain('302');
    // An extension that exists keeps its password; the running appliance's registrations stay.
    expect(fx.store.extensions.get('301')!.ha1Md5).toBe(kept.ha1Md5);
    expect((await api.json('GET', '/api/registrations')).body).toHaveLength(1);

    const bad = await api.json('POST', '/api/system/restore', new TextEncoder().encode('not a database at all'.repeat(40)));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('not a backup file');
    expect(fx.store.extensions.list().map((e) => e.number)).toContain('301');
  });

  test('system info names the version and host sensors', async () => {
    const sys = await api.json('GET', '/api/system');
    expect(sys.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(sys.body.host.temperatures).toHaveProperty('cpu');
  });
});

describe('logout and expiry', () => {
  test('logout ends the session', async () => {
    const c = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    await c.json('POST', '/api/login', { password: PASSWORD });
    expect((await c.json('GET', '/api/extensions')).status).toBe(200);
    const oldCookie = c.cookie;
    expect((await c.json('POST', '/api/logout')).status).toBe(200);
    expect(c.cookie).toBe('appliance_session=');
    // Replaying the old session id fails too: the session is gone on the server.
    const old = await fx.fetch(`${fx.web.url}/api/extensions`, { headers: { Cookie: oldCookie } });
    expect(old.status).toBe(401);
  });

  test('an idle session expires', async () => {
    const short = await startWebFixture({ auth: { sessionLimits: { idleMs: 150, absoluteMs: 60_000 } } });
    try {
      const c = new ApiClient(short.web.url, short.web.certificate?.cert);
      await c.json('POST', '/api/setup', { token: short.web.setupToken, password: PASSWORD });
      expect((await c.json('GET', '/api/extensions')).status).toBe(200);
      await Bun.sleep(250);
      expect((await c.json('GET', '/api/extensions')).status).toBe(401);
    } finally {
      await short.stop();
    }
  });

  test('without peers no list names a member: every edit was made here (the box\'s own name only confused)', async () => {
    const alone = await startWebFixture();
    try {
      alone.store.configVersions.setOrigin('vm');
      const c = new ApiClient(alone.web.url, alone.web.certificate?.cert);
      await c.json('POST', '/api/setup', { token: alone.web.setupToken, password: PASSWORD });
      expect((await c.json('POST', '/api/extensions', { number: '205', password: EXT_PW })).status).toBe(201);
      expect(alone.store.configVersions.version('extension', '205')?.origin).toBe('vm');
      expect((await c.json('GET', '/api/extensions')).body).toMatchObject([{ number: '205', editedOn: null }]);
    } finally {
      await alone.stop();
    }
  });

  test('login brute force is locked out with 429 and Retry-After, even for the right password', async () => {
    const b = await startWebFixture();
    try {
      const c = new ApiClient(b.web.url, b.web.certificate?.cert);
      await c.json('POST', '/api/setup', { token: b.web.setupToken, password: PASSWORD });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await c.json('POST', '/api/login', { password: `Guess-number-${i}` })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      const locked = await c.call('POST', '/api/login', { password: PASSWORD });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(b.store.events.recent(20, 'admin.login.failed').length).toBe(5);
      // The event log says where the guesses came from (issue 18: failed logins with their source).
      expect(b.store.events.recent(20, 'admin.login.failed').map((e) => e.message)).toContain('admin login failed from 127.0.0.1');
    } finally {
      await b.stop();
    }
  });
});

describe('banned SIP sources (issue 10)', () => {
  test('the bans in force are listed; a lift removes one, tells the workers and is logged; an unknown address is 404', async () => {
    const now = Date.now();
    fx.store.bans.put({ address: '192.0.2.77', reason: '5 failed logins or forged requests in 300 s', since: now, until: now + 60_000 });
    fx.store.bans.put({ address: '192.0.2.78', reason: 'old', since: now - 120_000, until: now - 60_000 });
    const list = await api.json('GET', '/api/bans');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ address: '192.0.2.77', reason: '5 failed logins or forged requests in 300 s' })]);
    const changes = fx.view.storeChanges;
    expect((await api.json('POST', '/api/bans/lift', { address: '192.0.2.77' })).status).toBe(200);
    expect(fx.store.bans.active()).toEqual([]);
    expect(fx.view.storeChanges).toBe(changes + 1);
    expect(fx.store.events.recent(5, 'admin.ban.lift')[0].message).toContain('192.0.2.77');
    const unknown = await api.json('POST', '/api/bans/lift', { address: '192.0.2.99' });
    expect(unknown.status).toBe(404);
    const bad = await api.json('POST', '/api/bans/lift', { address: 42 });
    expect(bad.status).toBe(400);
  });
});
