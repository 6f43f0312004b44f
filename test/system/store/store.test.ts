import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import { MIGRATIONS, migrate, openStore, STORE_FILE, type BindingRecord, type Store } from '../../../system/store/index.ts';
import { ApplianceError } from '../../../system/errors/index.ts';

/** The SQLite store on a real file in a fresh temp dir. */
const dirs: string[] = [];
function fresh(): { dir: string; store: Store } {
  const dir = mkdtempSync(join(tmpdir(), 'appliance-store-'));
  dirs.push(dir);
  return { dir, store: openStore(dir) };
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('migrations', () => {
  test('a fresh directory gets every migration, WAL mode, foreign keys', () => {
    const { store } = fresh();
    expect((store.db.query('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.at(-1)!.version);
    expect((store.db.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    const tables = (store.db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(['bans', 'binding_tombstones', 'call_features', 'call_records', 'config_versions', 'digest_learnt', 'dns_records', 'events', 'extensions', 'outside_line_entries', 'peers', 'registrations', 'replication_state', 'ring_group_members', 'ring_groups', 'sealed_secrets', 'settings', 'subscriptions']);
    store.close();
  });
  test('reopening applies nothing and keeps data', () => {
    const { dir, store } = fresh();
    store.settings.set('k', 'v');
    store.close();
    const again = openStore(dir);
    expect(again.settings.get('k')).toBe('v');
    expect(migrate(again.db)).toEqual([]);
    again.close();
  });
  test('versions are increasing', () => {
    const v = MIGRATIONS.map((m) => m.version);
    expect(v).toEqual([...v].sort((a, b) => a - b));
    expect(new Set(v).size).toBe(v.length);
  });
  test('migrate on an empty in-memory database returns every version', () => {
    expect(migrate(new Database(':memory:'))).toEqual(MIGRATIONS.map((m) => m.version));
  });
});

describe('extensions', () => {
  const { store } = fresh();
  const rec = { number: '201', displayName: 'Reception', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: '+15551234567' };
  const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as ApplianceError).code; } return 'none'; };

  test('add then get, list, findByE164', () => {
    expect(store.extensions.add(rec, 1000)).toEqual({
      ...rec, digest: 'default', callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null, createdAt: 1000, updatedAt: 1000,
    });
    store.extensions.add({ ...rec, number: '202', e164: null }, 2000);
    expect(store.extensions.list().map((e) => e.number)).toEqual(['201', '202']);
    expect(store.extensions.findByE164('+15551234567')?.number).toBe('201');
    expect(store.extensions.findByE164('+15550000000')).toBeUndefined();
  });
  test('duplicate number → conflict', () => expect(code(() => store.extensions.add(rec))).toBe('conflict'));
  test('E.164 already used → conflict', () => expect(code(() => store.extensions.add({ ...rec, number: '203' }))).toBe('conflict'));
  test('update', () => {
    expect(store.extensions.update('202', { displayName: 'Sales' }, 3000)).toMatchObject({ displayName: 'Sales', createdAt: 2000, updatedAt: 3000 });
    expect(code(() => store.extensions.update('299', {}))).toBe('not-found');
  });
  test('SHA-256 learnt per phone model: recorded once, forgotten when the admin sets a policy', () => {
    expect(store.extensions.learnSha256('202', 'linphone')).toBe(true);
    expect(store.extensions.learnSha256('202', 'linphone')).toBe(false);
    expect(store.extensions.learnSha256('202', 'baresip')).toBe(true);
    expect(store.extensions.learnSha256('299', 'linphone')).toBe(false); // no such extension
    expect(store.extensions.learntSha256('202')).toEqual(['baresip', 'linphone']);
    // The challenge's one-statement read: the record and the same learnt list (issue 16).
    expect(store.extensions.withLearnt('202')).toEqual({ ext: store.extensions.get('202')!, learnt: ['baresip', 'linphone'] });
    expect(store.extensions.withLearnt('299')).toBeUndefined();
    store.extensions.update('202', { displayName: 'Sales 2' });
    expect(store.extensions.learntSha256('202')).toEqual(['baresip', 'linphone']);
    expect(store.extensions.update('202', { digest: 'md5' }).digest).toBe('md5');
    expect(store.extensions.learntSha256('202')).toEqual([]);
    expect(store.extensions.withLearnt('202')).toMatchObject({ ext: { number: '202', digest: 'md5' }, learnt: [] });
  });
  test('remove forgets what was learnt', () => {
    store.extensions.learnSha256('201', 'linphone');
    store.extensions.remove('201');
    expect(store.extensions.learntSha256('201')).toEqual([]);
    store.extensions.add(rec);
  });
  test('remove, then not found', () => {
    store.extensions.remove('201');
    expect(store.extensions.get('201')).toBeUndefined();
    expect(store.extensions.findByE164('+15551234567')).toBeUndefined();
    expect(code(() => store.extensions.remove('201'))).toBe('not-found');
  });
});

describe('registrations: versioned batches', () => {
  const NOW = 1_700_000_000_000;
  const b = (contact: string, over: Partial<BindingRecord> = {}): BindingRecord => ({
    aor: 'sip:201@office.lan', contact, expiresAt: NOW + 60_000, q: 1, callId: 'c1', cseq: 1, source: 'udp:10.0.0.1:5060',
    transport: 'udp', userAgent: 'ua', version: 10, updatedAt: NOW, ...over,
  });
  const rows = (store: Store) => store.registrations.loadActive(NOW).map((r) => [r.contact, r.version, r.cseq]);

  test('upsert inserts, a newer version overwrites, an older one does not', () => {
    const { store } = fresh();
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a') }, { kind: 'upsert', binding: b('sip:b', { q: 0.5 }) }]);
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { version: 11, cseq: 2 }) }]);
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { version: 9, cseq: 99 }) }]);
    expect(rows(store)).toEqual([['sip:a', 11, 2], ['sip:b', 10, 1]]);
    // An equal version is the same write replayed: it may apply.
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { version: 11, cseq: 3 }) }]);
    expect(rows(store)[0]).toEqual(['sip:a', 11, 3]);
  });
  test('a TCP binding keeps its flow holder and token; a newer UDP one drops them (migration 16)', () => {
    const { store } = fresh();
    const heldBy = { member: 'b', token: 'flow.dGNwOjEwLjAuMC4xOjQwMDAx.0123456789abcdef0123' };
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { source: 'tcp:10.0.0.1:40001', transport: 'tcp', heldBy }) }, { kind: 'upsert', binding: b('sip:b') }]);
    expect(store.registrations.loadActive(NOW).map((r) => r.heldBy)).toEqual([heldBy, undefined]);
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { version: 11 }) }]);
    expect(store.registrations.loadActive(NOW)[0].heldBy).toBeUndefined();
  });
  test('remove only at a version >= the stored one', () => {
    const { store } = fresh();
    store.registrations.apply([{ kind: 'upsert', binding: b('sip:a', { version: 10 }) }]);
    store.registrations.apply([{ kind: 'remove', aor: 'sip:201@office.lan', contact: 'sip:a', version: 9 }]);
    expect(rows(store)).toHaveLength(1);
    store.registrations.apply([{ kind: 'remove', aor: 'sip:201@office.lan', contact: 'sip:a', version: 10 }]);
    expect(rows(store)).toHaveLength(0);
  });
  test('a batch is one transaction: a failing change undoes the batch', () => {
    const { store } = fresh();
    const broken = { ...b('sip:bad'), callId: null } as unknown as BindingRecord; // NOT NULL violation
    expect(() => store.registrations.apply([{ kind: 'upsert', binding: b('sip:a') }, { kind: 'upsert', binding: broken }])).toThrow();
    expect(rows(store)).toEqual([]);
  });
  test('loadActive hides expired rows; purgeExpired deletes them (expires_at <= now)', () => {
    const { store } = fresh();
    store.registrations.apply([
      { kind: 'upsert', binding: b('sip:live') },
      { kind: 'upsert', binding: b('sip:now', { expiresAt: NOW }) },
      { kind: 'upsert', binding: b('sip:old', { expiresAt: NOW - 1 }) },
    ]);
    expect(rows(store).map((r) => r[0])).toEqual(['sip:live']);
    expect(store.registrations.purgeExpired(NOW)).toBe(2);
    expect(store.registrations.purgeExpired(NOW)).toBe(0);
    expect(store.registrations.loadActive(0).map((r) => r.contact)).toEqual(['sip:live']);
  });
  test('empty batch is a no-op', () => {
    const { store } = fresh();
    store.registrations.apply([]);
    expect(rows(store)).toEqual([]);
  });
});

describe('events and settings', () => {
  test('recent: newest first, limit, kind prefix', () => {
    const { store } = fresh();
    store.events.append('sip.registration.new', 'r1', { aor: 'sip:201@office.lan' }, 1);
    store.events.append('admin.extension.add', 'a1', {}, 2);
    store.events.append('sip.auth.failed', 's2', {}, 3);
    expect(store.events.recent().map((e) => e.message)).toEqual(['s2', 'a1', 'r1']);
    expect(store.events.recent(1).map((e) => e.message)).toEqual(['s2']);
    expect(store.events.recent(10, 'sip.').map((e) => e.message)).toEqual(['s2', 'r1']);
    expect(store.events.recent(10, 'sip.registration')[0]).toMatchObject({ ts: 1, kind: 'sip.registration.new', details: { aor: 'sip:201@office.lan' } });
    expect(store.events.recent(10, 'dns.')).toEqual([]);
  });
  test('getOrCreate makes the value once', () => {
    const { store } = fresh();
    let made = 0;
    const make = () => `secret-${++made}`;
    expect(store.settings.getOrCreate('nonce-secret', make)).toBe('secret-1');
    expect(store.settings.getOrCreate('nonce-secret', make)).toBe('secret-1');
    expect(made).toBe(1);
  });
  test('the store file lives in the data dir', () => {
    const { dir, store } = fresh();
    expect(store.db.filename).toBe(join(dir, STORE_FILE));
  });
});

describe('peers in the store', () => {
  test('config peers are written in, updated and removed with the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-store-'));
    const store = openStore(dir);
    const a = { name: 'a', url: 'http://127.0.0.2:8080', sip: '127.0.0.2:5060', secret: 'a-secret-of-sixteen+' };
    const b = { name: 'b', url: 'http://127.0.0.3:8080', sip: '127.0.0.3:5060', secret: 'b-secret-of-sixteen+' };
    store.peers.syncFromConfig([a, b]);
    expect(store.peers.list()).toEqual([a, b]);
    store.peers.syncFromConfig([{ ...a, sip: '127.0.0.2:5070' }]);
    expect(store.peers.list()).toEqual([{ ...a, sip: '127.0.0.2:5070' }]);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
