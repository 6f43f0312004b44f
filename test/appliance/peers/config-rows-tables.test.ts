import { describe, expect, test } from 'bun:test';
import { checkConfigRows, type ConfigRowRules } from '../../../appliance/peers/config-rows.ts';
import { linkKey, openFromLink, sealForLink } from '../../../appliance/peers/config-secrets.ts';
import { servedZones } from '../../../appliance/dns/zones.ts';
import { parseConfig } from '../../../system/config/index.ts';

/** The checks of replicated rows other than extensions (issue 19): what the admin's input would pass here, nothing else. */
const NOW = 1_800_000_000_000;
const config = parseConfig('data_dir = "/tmp/x"\nname = "a"\n[sip]\ndomain = "office.lan"\n[dns]\nzone = "office.lan"\n', 'test');
const rules: ConfigRowRules = { origins: new Set(['a', 'b']), realm: 'office.lan', emergencyNumbers: ['911', '112'], maxAheadMs: 60_000, zones: servedZones(config) };
const key = linkKey('the-shared-secret-of-a-and-b');
const open = (trunk: string, sealed: string) => openFromLink(key, trunk, sealed);
const check = (row: Record<string, unknown>) => checkConfigRows({ rows: [{ t: NOW - 5, origin: 'b', deleted: false, ...row }] }, rules, NOW, open);
const dnsKey = (n: string, t: string, v: string) => JSON.stringify([n, t, v]);
const trunkEntry = { name: 'provider', registrar: 'sip.example.net', username: 'office' };

const good: [string, Record<string, unknown>][] = [
  ['a DNS record', { kind: 'dns-record', key: dnsKey('printer.office.lan', 'A', '192.168.1.9'), data: { name: 'printer.office.lan', type: 'A', value: '192.168.1.9', ttl: null } }],
  ['a ring group', { kind: 'ring-group', key: '600', data: { number: '600', name: 'Sales', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: 'voicemail', members: ['201', '202'] } }],
  ['call features', { kind: 'call-features', key: '201', data: { extension: '201', dnd: true, forwardAlways: null, forwardBusy: '+4930123', forwardNoAnswer: '600', noAnswerSeconds: 20, forwardUnreachable: null } }],
  ['a trunk with its password sealed for the link', { kind: 'trunk', key: 'provider', data: { entry: trunkEntry, passwordSealed: sealForLink(key, 'provider', 'pw-of-the-provider') } }],
  ['a trunk whose sender could not open its own password (no passwordSealed: ours is kept)', { kind: 'trunk', key: 'provider', data: { entry: trunkEntry } }],
  ['a route', { kind: 'route', key: 'national', data: { entry: { name: 'national', pattern: '^0[1-9]', replace: '$0', trunk: 'provider', class: 'national' } } }],
  ['an inbound number', { kind: 'inbound', key: '+4930123456', data: { entry: { did: '+4930123456', trunk: 'provider', to: '600' } } }],
  ['the group\'s emergency trunk', { kind: 'setting', key: 'emergency.trunk', data: { value: 'provider' } }],
  ['a tombstone of a ring group', { kind: 'ring-group', key: '600', deleted: true }],
];

const hostile: [string, Record<string, unknown>][] = [
  ['a DNS record outside our zones', { kind: 'dns-record', key: dnsKey('www.example.com', 'A', '10.0.0.1'), data: { name: 'www.example.com', type: 'A', value: '10.0.0.1', ttl: null } }],
  ['a DNS record whose key is another record', { kind: 'dns-record', key: dnsKey('a.office.lan', 'A', '10.0.0.1'), data: { name: 'b.office.lan', type: 'A', value: '10.0.0.1', ttl: null } }],
  ['an SOA record', { kind: 'dns-record', key: dnsKey('office.lan', 'SOA', 'x'), data: { name: 'office.lan', type: 'SOA', value: 'x', ttl: null } }],
  ['a bad address', { kind: 'dns-record', key: dnsKey('p.office.lan', 'A', '999.1.1.1'), data: { name: 'p.office.lan', type: 'A', value: '999.1.1.1', ttl: null } }],
  ['a TTL of a year', { kind: 'dns-record', key: dnsKey('p.office.lan', 'A', '10.0.0.1'), data: { name: 'p.office.lan', type: 'A', value: '10.0.0.1', ttl: 31_536_000 } }],
  ['a ring group on an emergency number', { kind: 'ring-group', key: '911', data: { number: '911', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [] } }],
  ['a ring group with an unknown strategy', { kind: 'ring-group', key: '600', data: { number: '600', name: 'x', strategy: 'random', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [] } }],
  ['a ring group with a SIP URI member', { kind: 'ring-group', key: '600', data: { number: '600', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: ['sip:evil@x'] } }],
  ['a ring group ringing for an hour', { kind: 'ring-group', key: '600', data: { number: '600', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 3600, fallback: null, members: [] } }],
  ['a ring group with an extra column', { kind: 'ring-group', key: '600', data: { number: '600', name: 'x', strategy: 'hunt', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [], sql: 'x' } }],
  ['a forward to a URI', { kind: 'call-features', key: '201', data: { extension: '201', dnd: false, forwardAlways: 'sip:premium@evil', forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null } }],
  ['a forward to itself', { kind: 'call-features', key: '201', data: { extension: '201', dnd: false, forwardAlways: '201', forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null } }],
  ['dnd as text', { kind: 'call-features', key: '201', data: { extension: '201', dnd: 'yes', forwardAlways: null, forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null } }],
  ['a trunk password in clear', { kind: 'trunk', key: 'provider', data: { entry: { ...trunkEntry, password: 'clear' }, passwordSealed: null } }],
  ['a trunk password sealed for another link', { kind: 'trunk', key: 'provider', data: { entry: trunkEntry, passwordSealed: sealForLink(linkKey('another-secret-entirely'), 'provider', 'pw') } }],
  ['a trunk password sealed for another trunk', { kind: 'trunk', key: 'provider', data: { entry: trunkEntry, passwordSealed: sealForLink(key, 'other', 'pw') } }],
  ['a trunk with an unknown key', { kind: 'trunk', key: 'provider', data: { entry: { ...trunkEntry, proxy: 'evil' }, passwordSealed: null } }],
  ['a trunk whose key is another name', { kind: 'trunk', key: 'other', data: { entry: trunkEntry, passwordSealed: null } }],
  ['a route with a pattern that does not compile', { kind: 'route', key: 'r', data: { entry: { name: 'r', pattern: '(', replace: '$0', trunk: 'provider', class: 'national' } } }],
  ['an inbound number to a SIP URI', { kind: 'inbound', key: '+49301', data: { entry: { did: '+49301', trunk: 'provider', to: 'sip:evil@x' } } }],
  ['the admin password (a per-appliance setting)', { kind: 'setting', key: 'admin.password', data: { value: 'x' } }],
  ['the SIP nonce secret (a per-appliance setting)', { kind: 'setting', key: 'sip.nonce_secret', data: { value: 'abc' } }],
  ['a removal of a per-appliance setting', { kind: 'setting', key: 'sip.dialog_secret', deleted: true }],
  ['a peer (per-appliance)', { kind: 'peer', key: 'b', data: { url: 'https://evil' } }],
  ['a row without data', { kind: 'route', key: 'r' }],
];

describe('replicated rows of the other tables are checked as the admin\'s input (issue 19)', () => {
  test.each(good)('accepted: %s', (_what, row) => {
    const v = check(row);
    expect(v.rejected).toEqual([]);
    expect(v.accepted).toHaveLength(1);
  });

  test('a sealed trunk password is opened for the store, and only there', () => {
    const [row] = check(good[3]![1]).accepted;
    expect(row!.data).toEqual({ entry: trunkEntry, password: 'pw-of-the-provider' });
  });

  test.each(hostile)('refused: %s', (_what, row) => {
    const v = check(row);
    expect(v.accepted).toEqual([]);
    expect(v.rejected).toHaveLength(1);
    expect(JSON.stringify(v.rejected)).not.toContain('pw');
  });
});
