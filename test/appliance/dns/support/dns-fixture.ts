import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ApplianceConfig } from '../../../../system/config/index.ts';
import { openStore, type Store } from '../../../../system/store/index.ts';
import { validateRecord } from '../../../../appliance/dns/record-input.ts';
import { servedZones } from '../../../../appliance/dns/zones.ts';

/** A config for tests: DNS on loopback port 0, zone office.lan, SIP advertised on 192.168.1.10. */
export function testConfig(dataDir: string, dnsExtra = ''): ApplianceConfig {
  const parsed = parseConfig(`
data_dir = "${dataDir}"
[sip]
listen = "127.0.0.1"
advertise = "192.168.1.10"
domain = "office.lan"
[dns]
listen = "127.0.0.1"
port = 5300
zone = "office.lan"
enum_suffix = "e164.arpa"
ttl = 60
${dnsExtra}
`, 'test');
  // The config file format wants a real port; tests bind port 0 (a free one).
  return { ...parsed, dns: { ...parsed.dns, port: 0 } };
}

/** A temp data dir with an opened store; `cleanup` closes and removes it. */
export function tempStore(): { dir: string; store: Store; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dns-test-'));
  const store = openStore(dir);
  return { dir, store, cleanup: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Adds admin records through the same validation the CLI uses. */
export function seedRecords(store: Store, config: ApplianceConfig, records: readonly [string, string, string, number?][]): void {
  const zones = servedZones(config);
  for (const [name, type, value, ttl] of records) {
    const v = validateRecord({ name, type, value, ttl }, zones);
    store.dnsRecords.add({ name: v.name, type: v.type, value: v.value, ttl: v.ttl });
  }
}

/** Adds an extension row directly (credentials are irrelevant to DNS). */
export function seedExtension(store: Store, number: string, e164: string | null): void {
  store.extensions.add({ number, displayName: `Ext ${number}`, realm: 'office.lan', ha1Md5: 'x', ha1Sha256: 'y', e164 });
}

/** The standard office data used across DNS tests. */
export const OFFICE_RECORDS: readonly [string, string, string, number?][] = [
  ['printer', 'A', '192.168.1.50'],
  ['printer', 'AAAA', 'fd00::50'],
  ['www', 'CNAME', 'printer.office.lan'],
  ['external', 'CNAME', 'www.example.com'],
  ['info', 'TXT', '"hello world" "second"'],
  ['_ldap._tcp', 'SRV', '10 50 389 printer.office.lan'],
  ['big', 'TXT', `"${'x'.repeat(250)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}"`],
  ['gw', 'NAPTR', '10 10 "s" "SIP+D2U" "" _sip._udp.office.lan'],
  ['99.1.168.192.in-addr.arpa.', 'PTR', 'fax.office.lan'],
  ['short', 'A', '192.168.1.60', 5],
];
