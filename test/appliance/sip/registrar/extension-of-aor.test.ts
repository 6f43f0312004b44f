import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extensionOfAor } from '../../../../appliance/sip/registrar/registered-contacts-view.ts';
import { presentBinding } from '../../../../appliance/web/api/registrations-api.ts';
import { DnsAdminService } from '../../../../appliance/dns/admin-records.ts';
import { parseConfig } from '../../../../system/config/index.ts';
import { openStore, type BindingRecord } from '../../../../system/store/index.ts';
import { ApiClient, startWebFixture } from '../../web/support/web-fixture.ts';

/**
 * One owner reads the extension off an AOR (issue 13 item 5): the DNS function's view, the
 * admin API's registrations and `dns list` all use `extensionOfAor`. Before, the three
 * disagreed; each row says what each gave (view / API / dns list, measured on the old code). RFC 3261 §19.1.4: scheme and host
 * compare case-insensitively, the user part case-sensitively.
 */
const CASES: [aor: string, extension: string | undefined, before: string][] = [
  ['sip:201@office.lan', '201', 'all three: 201'],
  ['SIP:201@office.lan', '201', 'view: none (scheme compared case-sensitively); API, dns list: 201'],
  ['sip:201@Office.LAN', '201', 'view: none (host compared case-sensitively); API, dns list: 201'],
  ['sips:201@office.lan', '201', 'view: none; API, dns list: 201'],
  ['sip:Ab@office.lan', 'Ab', 'all three: Ab (the user part keeps its case)'],
  ['sip:201@other.example', undefined, 'view, dns list: none; API: 201 (any domain)'],
  ['sip:201@office.lan.evil', undefined, 'view, dns list: none; API: 201'],
  // A user part has no bare '@' (RFC 3261 §25.1): not an AOR of ours.
  ['sip:20@1@office.lan', undefined, 'view: "20@1"; API, dns list: "20"'],
  ['sip:@office.lan', undefined, 'all three: none'],
  // ';' may be part of a user (RFC 3261 §25.1 user-unreserved): no extension of ours has one.
  ['sip:201;x=1@office.lan', '201;x=1', 'all three: "201;x=1"'],
  ['tel:+4930123', undefined, 'all three: none'],
];

const dir = mkdtempSync(join(tmpdir(), 'aor-ext-'));
const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.201.1"\ndomain = "office.lan"\n`, 'test');
const store = openStore(dir);
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function binding(aor: string, i: number): BindingRecord {
  const now = Date.now();
  return {
    aor, contact: `sip:p${i}@127.0.201.${10 + i}:5062`, expiresAt: now + 3600_000, q: 1, callId: `c-${i}`, cseq: 1,
    source: `udp:127.0.201.${10 + i}:5062`, transport: 'udp', userAgent: 'Test Phone', version: 1, updatedAt: now,
  };
}

describe('the extension of an AOR', () => {
  test.each(CASES)('%p → %p (before: %s)', (aor, extension) => {
    expect(extensionOfAor(aor, 'office.lan')).toBe(extension);
    // The domain as configured may carry capitals too.
    expect(extensionOfAor(aor, 'OFFICE.lan')).toBe(extension);
    expect(presentBinding(binding(aor, 0), 'office.lan').extension).toBe(extension ?? '');
  });

  test('dns list names each registration whose AOR is an extension of ours, lowercased as a DNS label', () => {
    store.registrations.apply(CASES.map(([aor], i) => ({ kind: 'upsert' as const, binding: binding(aor, i) })));
    const listed = new DnsAdminService(store, config).list().filter((r) => r.derived === 'registration' && r.type === 'A');
    const expected = CASES.flatMap(([, ext], i) => (ext ? [[`${ext.toLowerCase()}.office.lan`, `127.0.201.${10 + i}`]] : []));
    // 201 registered from four flows names four addresses; Ab one.
    expect(listed.map((r) => [r.name, r.value]).sort()).toEqual(expected.sort());
  });
});

// `GET /api/extensions` counted an extension's registrations with a regex of its own (any
// domain): 201 had 6 here (other.example and office.lan.evil too), and `sip:20@1@…` counted for 20.
test("the extensions API counts each extension's registrations by the same reading", async () => {
  const fx = await startWebFixture({ listen: '127.0.213.1' });
  try {
    const api = new ApiClient(fx.web.url, fx.web.certificate?.cert);
    expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: 'Correct-Horse-42' })).status).toBe(201);
    for (const n of ['201', '20']) expect((await api.json('POST', '/api/extensions', { number: n, password: `Quiet-Lamp-${n}7` })).status).toBe(201);
    fx.store.registrations.apply(CASES.map(([aor], i) => ({ kind: 'upsert' as const, binding: binding(aor, i) })));
    const counts = Object.fromEntries((await api.json('GET', '/api/extensions')).body.map((e: { number: string; registered: number }) => [e.number, e.registered]));
    const expected = (n: string) => CASES.filter(([aor]) => extensionOfAor(aor, 'office.lan') === n).length;
    expect(counts).toEqual({ 201: expected('201'), 20: 0 });
    expect(counts['201']).toBe(4);
  } finally {
    await fx.stop();
  }
});
