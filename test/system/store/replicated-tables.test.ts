import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, RegistrationsStore, type BindingRecord, type ReplicatedKind, type Store } from '../../../system/store/index.ts';
import { REPLICATED_TABLES } from '../../../system/store/replicated-tables.ts';

/** Two stores on real files (the sealed secrets need their data directory's key), named as members. */
const dirs: string[] = [];
function member(origin: string): Store {
  const dir = mkdtempSync(join(tmpdir(), 'replicated-tables-'));
  dirs.push(dir);
  const store = openStore(dir);
  store.configVersions.setOrigin(origin);
  return store;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const kinds = (s: Store) => s.configVersions.changesAfter(0, 500).rows.map((r) => `${r.kind} ${r.key}${r.deleted ? ' x' : ''}`).sort();
/** Everything a member holds of the replicated tables, as compared between members. */
function snapshot(s: Store) {
  return {
    dns: s.dnsRecords.list().map(({ name, type, value, ttl }) => ({ name, type, value, ttl })),
    groups: s.ringGroups.list().map(({ createdAt: _c, updatedAt: _u, ...g }) => g),
    features: s.callFeatures.list(),
    outside: s.outsideLine.list().map((e) => ({ kind: e.kind, name: e.name, entry: e.entry })),
    password: s.secrets.get('trunk:sip-provider'),
    emergency: s.settings.get('emergency.trunk'),
  };
}
const trunk = { name: 'sip-provider', registrar: 'sip.example.net', username: 'office' };

describe('the other replicated tables (issue 19, migration 14)', () => {
  test('every local write is versioned with our name; a changed key leaves a tombstone; per-appliance settings are not versioned', () => {
    const a = member('a');
    const rec = a.dnsRecords.add({ name: 'printer.office.lan', type: 'A', value: '192.168.1.9', ttl: null });
    a.ringGroups.add({ number: '600', name: 'Sales', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: ['201', '202'] });
    a.callFeatures.set('201', { dnd: true, forwardBusy: '202' });
    a.callFeatures.set('201', { dnd: false }); // an upsert on a row that has a version
    a.outsideLine.add('trunk', trunk.name, trunk);
    a.secrets.put('trunk:sip-provider', 'provider-secret-1');
    a.secrets.put('trunk:from-the-config-file', 'not replicated');
    a.outsideLine.add('route', 'national', { name: 'national', pattern: '^0[1-9]', replace: '$0', trunk: trunk.name, class: 'national' });
    a.outsideLine.add('inbound', null, { did: '+4930123456', trunk: trunk.name, to: '600' });
    a.settings.set('emergency.trunk', trunk.name);
    a.settings.set('emergency.trunk', 'another');
    a.secrets.put('trunk:sip-provider', 'provider-secret-changed');
    a.settings.set('sip.nonce_secret', 'local');
    expect(kinds(a)).toEqual([
      'call-features 201', `dns-record ${JSON.stringify(['printer.office.lan', 'A', '192.168.1.9'])}`, 'inbound +4930123456',
      'ring-group 600', 'route national', 'setting emergency.trunk', 'trunk sip-provider',
    ]);
    expect(a.configVersions.version('trunk', 'sip-provider')).toMatchObject({ origin: 'a', deleted: false });
    // A DNS edit is a removal and an addition (the key is name, type and value).
    a.dnsRecords.remove(rec.id);
    a.dnsRecords.add({ name: 'printer.office.lan', type: 'A', value: '192.168.1.10', ttl: 60 });
    expect(a.configVersions.version('dns-record', JSON.stringify(['printer.office.lan', 'A', '192.168.1.9']))?.deleted).toBe(true);
    const before = a.configVersions.version('ring-group', '600')!.t;
    a.ringGroups.update('600', { members: ['202'] });
    expect(a.configVersions.version('ring-group', '600')!.t).toBeGreaterThan(before);
    a.ringGroups.remove('600');
    expect(a.configVersions.version('ring-group', '600')?.deleted).toBe(true);
  });

  test('what one member sends, another applies: the same rows, the trunk password sealed under its own key, no versions of its own', () => {
    const a = member('a');
    const b = member('b');
    a.dnsRecords.add({ name: '_sip._udp.office.lan', type: 'SRV', value: '10 5 5060 pbx.office.lan', ttl: 300 });
    a.ringGroups.add({ number: '601', name: 'Support', strategy: 'ring-all', ringSeconds: 15, timeoutSeconds: 40, fallback: '201', members: ['201', '203'] });
    a.callFeatures.set('203', { forwardNoAnswer: '201', noAnswerSeconds: 25 });
    a.outsideLine.add('trunk', trunk.name, trunk);
    a.secrets.put('trunk:sip-provider', 'provider-secret-2');
    a.outsideLine.add('inbound', null, { did: '+4930999', trunk: trunk.name, to: '601' });
    a.settings.set('emergency.trunk', trunk.name);
    const { rows } = a.configVersions.changesAfter(0, 500);
    expect(rows.find((r) => r.kind === 'trunk')?.data).toEqual({ entry: trunk, password: 'provider-secret-2' });
    expect(b.configVersions.apply(rows)).toMatchObject({ applied: rows.length, failed: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(b.db.query<{ sealed: string }, []>("SELECT sealed FROM sealed_secrets WHERE name = 'trunk:sip-provider'").get()!.sealed)
      .not.toBe(a.db.query<{ sealed: string }, []>("SELECT sealed FROM sealed_secrets WHERE name = 'trunk:sip-provider'").get()!.sealed);
    for (const r of rows) expect(b.configVersions.version(r.kind as ReplicatedKind, r.key)).toMatchObject({ t: r.t, origin: 'a' });
    // Removals travel as tombstones and remove on the other member.
    const seq = a.configVersions.maxSeq();
    a.ringGroups.remove('601');
    a.callFeatures.remove('203');
    const more = a.configVersions.changesAfter(seq, 500).rows;
    expect(b.configVersions.apply(more).applied).toBe(2);
    expect(b.ringGroups.get('601')).toBeUndefined();
    expect(b.callFeatures.list()).toEqual([]);
    expect(b.configVersions.apply(rows).older).toBe(rows.length);
    expect(b.ringGroups.get('601')).toBeUndefined();
  });
});

describe('a trunk password that does not open on the sender', () => {
  test('is left out of the row, and the receiver keeps its own', () => {
    const a = member('a');
    const b = member('b');
    a.outsideLine.add('trunk', trunk.name, trunk);
    a.secrets.put('trunk:sip-provider', 'good-on-a');
    expect(b.configVersions.apply(a.configVersions.changesAfter(0, 500).rows).applied).toBe(1);
    expect(b.secrets.get('trunk:sip-provider')).toBe('good-on-a');
    // A's secrets.key replaced (restored without it): its sealed value no longer opens; an edit of the trunk goes out without it.
    a.db.query("UPDATE sealed_secrets SET sealed = 'v1:' || substr(sealed, 5) || 'AAAA' WHERE name = 'trunk:sip-provider'").run();
    a.outsideLine.replace(a.outsideLine.byName('trunk', trunk.name)!.id, { ...trunk, username: 'office2' });
    const row = a.configVersions.changesAfter(0, 500).rows.find((r) => r.kind === 'trunk')!;
    expect(row.data).toEqual({ entry: { ...trunk, username: 'office2' } });
    expect(b.configVersions.apply([row]).applied).toBe(1);
    expect(b.outsideLine.byName('trunk', trunk.name)?.entry).toMatchObject({ username: 'office2' });
    expect(b.secrets.get('trunk:sip-provider')).toBe('good-on-a');
  });
});

describe('every column replicates', () => {
  // A column added to a replicated table (a migration of another issue) must be added to its
  // reader and writer in replicated-tables.ts and to its check in appliance/peers/config-rows*.ts,
  // or it would silently stay on the member it was set on.
  test.each([
    ['extension', 'extensions', '201', (s: Store) => s.extensions.add({ number: '201', displayName: 'x', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: null })],
    ['ring-group', 'ring_groups', '600', (s: Store) => s.ringGroups.add({ number: '600', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [] })],
    ['call-features', 'call_features', '201', (s: Store) => s.callFeatures.set('201', { dnd: true })],
    ['dns-record', 'dns_records', JSON.stringify(['p.office.lan', 'A', '10.0.0.1']), (s: Store) => s.dnsRecords.add({ name: 'p.office.lan', type: 'A', value: '10.0.0.1', ttl: null })],
  ] as const)('%s: the row read for sending has every column of %s', (kind, table, key, add) => {
    const s = member('a');
    add(s);
    const columns = s.db.query<{ name: string }, []>(`PRAGMA table_info(${table})`).all().map((c) => c.name)
      .filter((c) => !['id', 'created_at', 'updated_at'].includes(c)).map((c) => c.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase()));
    const read = Object.keys(REPLICATED_TABLES[kind as ReplicatedKind].read({ db: s.db }, key)!);
    expect(read.filter((k) => k !== 'members').sort()).toEqual(columns.sort());
  });
});

const binding = (version: number, expiresAt = Date.now() + 60_000): BindingRecord => ({
  aor: 'sip:201@office.lan', contact: 'sip:201@192.168.1.20:5060', expiresAt, q: 1, callId: 'c1', cseq: 1,
  source: 'udp:192.168.1.20:5060', transport: 'udp', userAgent: 'phone', version, updatedAt: version,
});

describe('binding tombstones (issue 19)', () => {
  test('a removal refuses an older upsert (a split healing) and is listed for the full sync; a newer registration wins', () => {
    const s = member('a');
    const now = Date.now();
    s.registrations.apply([{ kind: 'upsert', binding: binding(now - 10) }]);
    expect(s.registrations.apply([{ kind: 'remove', aor: binding(0).aor, contact: binding(0).contact, version: now }])).toHaveLength(1);
    expect(s.registrations.apply([{ kind: 'upsert', binding: binding(now - 5) }])).toEqual([]);
    expect(s.registrations.apply([{ kind: 'upsert', binding: binding(now) }])).toEqual([]);
    expect(s.registrations.loadActive()).toEqual([]);
    expect(s.registrations.tombstones()).toEqual([{ kind: 'remove', aor: binding(0).aor, contact: binding(0).contact, version: now }]);
    expect(s.registrations.apply([{ kind: 'upsert', binding: binding(now + 1) }])).toHaveLength(1);
    expect(s.registrations.loadActive()).toHaveLength(1);
    expect(s.registrations.tombstones()).toEqual([]);
  });

  test('an expiry is not a removal; a tombstone is forgotten max_expires after its version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replicated-tables-'));
    dirs.push(dir);
    const store = openStore(dir, { bindingTombstoneMs: 3_600_000 });
    const now = Date.now();
    store.registrations.apply([{ kind: 'upsert', binding: binding(now - 10, now - 1) }]);
    expect(store.registrations.purgeExpired(now)).toBe(1);
    expect(store.registrations.tombstones(now)).toEqual([]);
    store.registrations.apply([{ kind: 'remove', aor: binding(0).aor, contact: binding(0).contact, version: now }]);
    expect(store.registrations.tombstones(now + 3_599_999)).toHaveLength(1);
    store.registrations.purgeExpired(now + 3_600_000);
    expect(store.registrations.removedVersion(binding(0).aor, binding(0).contact)).toBe(0);
    expect(new RegistrationsStore(store.db).tombstones()).toEqual([]);
  });
});
