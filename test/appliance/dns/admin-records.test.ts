import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsAdminService } from '../../../appliance/dns/admin-records.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';

/** Admin edits as the event log tells them: a DNS edit is one edit, an extension change says what changed. */
const dir = mkdtempSync(join(tmpdir(), 'dns-admin-'));
const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.1"\ndomain = "office.lan"\n`, 'test');
const store = openStore(dir);
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a DNS edit is logged once, as an edit naming the old and the new record; a refused edit keeps the old record and logs nothing', () => {
  const dns = new DnsAdminService(store, config);
  const row = dns.add({ name: 'printer', type: 'A', value: '192.168.1.50', ttl: null });
  const before = store.events.recent(100).length;
  const edited = dns.edit(row.id, { name: 'printer', type: 'A', value: '192.168.1.51', ttl: 600 });
  const entries = store.events.recent(100).slice(0, store.events.recent(100).length - before);
  expect(entries.map((e) => [e.kind, e.message])).toEqual([['admin.dns.edit', 'DNS record printer.office.lan A 192.168.1.50 changed to printer.office.lan A 192.168.1.51, TTL default → 600']]);
  expect(entries[0]!.details).toMatchObject({ id: edited.id, replaced: row.id, before: { value: '192.168.1.50' }, after: { value: '192.168.1.51', ttl: 600 } });
  const count = store.events.recent(100).length;
  expect(() => dns.edit(edited.id, { name: 'printer', type: 'A', value: 'not-an-address', ttl: null })).toThrow();
  expect(store.dnsRecords.list().map((r) => r.value)).toEqual(['192.168.1.51']);
  expect(store.events.recent(100).length).toBe(count);
});

test('an extension change says what changed, the password only as "changed"', () => {
  const ext = new ExtensionService(store, 'office.lan');
  ext.add({ number: '201', password: 'Phone-Secret-201x', displayName: 'Front desk' });
  ext.update({ number: '201', displayName: 'Reception', password: 'Phone-Secret-201y' });
  const e = store.events.recent(1, 'admin.extension.update')[0]!;
  expect(e.message).toBe('extension 201 changed: name "Front desk" → "Reception", password changed');
  expect(e.details).toEqual({ number: '201', changed: ['displayName', 'password'] });
  expect(JSON.stringify(e)).not.toContain('Phone-Secret');
});

test('expired bindings leave the store with one event for them all', async () => {
  const { purgeExpiredLogged } = await import('../../../appliance/sip/registrar/registration-events.ts');
  const now = Date.now();
  const b = (ext: string, expiresAt: number) => ({ aor: `sip:${ext}@office.lan`, contact: `sip:${ext}@192.168.1.${ext.slice(1)}:5060`, expiresAt, q: 1, callId: 'c', cseq: 1, source: 'udp:192.168.1.9:5060', transport: 'udp', userAgent: '', version: 1, updatedAt: now - 10_000 });
  store.registrations.apply([{ kind: 'upsert', binding: b('201', now - 1) }, { kind: 'upsert', binding: b('202', now - 1) }, { kind: 'upsert', binding: b('203', now + 60_000) }]);
  purgeExpiredLogged(store, now);
  expect(store.registrations.loadActive(now).map((r) => r.aor)).toEqual(['sip:203@office.lan']);
  const e = store.events.recent(5, 'sip.registration.expired');
  expect(e.map((x) => x.message)).toEqual(['2 registrations expired (not refreshed): extensions 201, 202']);
  purgeExpiredLogged(store, now);
  expect(store.events.recent(5, 'sip.registration.expired')).toHaveLength(1);
});
