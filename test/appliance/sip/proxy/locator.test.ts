import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDnsCore, type DnsCore } from '../../../../appliance/dns/core.ts';
import { createLocator, type LocatorDeps } from '../../../../appliance/sip/proxy/locator.ts';
import type { RouteDecision } from '../../../../appliance/sip/proxy/targets.ts';
import { LocationView } from '../../../../appliance/sip/registrar/location-view.ts';
import { registeredContactsOf } from '../../../../appliance/sip/registrar/registered-contacts-view.ts';
import type { BindingRecord } from '../../../../system/store/index.ts';
import { seedExtension, seedRecords, tempStore, testConfig } from '../../dns/support/dns-fixture.ts';

const NOW = Date.now();
const binding = (ext: string, contact: string, source: string, extra: Partial<BindingRecord> = {}): BindingRecord => ({
  aor: `sip:${ext}@office.lan`, contact, expiresAt: NOW + 600_000, q: 1, callId: `c-${contact}`, cseq: 1,
  source, transport: source.split(':')[0], userAgent: 'test', version: NOW, updatedAt: NOW, ...extra,
});

/**
 * The locator (DESIGN.md call flow steps 3-5) over a real location view and the real DNS
 * function: a registered extension is routed from its bindings without asking the DNS
 * function (issue 13 item 8); E.164 numbers (ENUM) and admin records still go through it.
 */
describe('createLocator', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  const location = new LocationView(t.store.registrations);
  let core: DnsCore;
  const asked: string[] = [];
  const locator = (over: Partial<LocatorDeps> = {}) => createLocator({
    lookup: (ident) => {
      asked.push(ident);
      return core.lookupIdentification(ident);
    },
    location,
    extension: (n) => t.store.extensions.get(n),
    extensionByE164: (e) => t.store.extensions.findByE164(e),
    domain: 'office.lan', mode: 'proxy', tcp: true, ...over,
  });
  beforeAll(() => {
    seedRecords(t.store, config, [['205', 'A', '192.168.1.205']]);
    for (const [n, e164] of [['201', '+15551234567'], ['202', null], ['203', null], ['204', '+15551230004'], ['205', null], ['206', null]] as const) seedExtension(t.store, n, e164);
    location.applyRemote([
      // 201: two contacts from one UDP flow (two lines of one phone), and a TCP phone.
      binding('201', 'sip:201@192.168.1.21:5060', 'udp:192.168.1.21:5060'),
      binding('201', 'sip:201-line2@192.168.1.21:5060', 'udp:192.168.1.21:5060'),
      binding('201', 'sip:201@192.168.1.31:5062;transport=tcp', 'tcp:192.168.1.31:51000'),
      // 202: TLS over IPv6, behind NAT.
      binding('202', 'sip:202@[fd00::22]:5061;transport=tls', 'tls:2001:db8::22:40000', { behindNat: true }),
      // 203: over TCP only.
      binding('203', 'sip:203@192.168.1.33:5062;transport=tcp', 'tcp:192.168.1.33:51003'),
      // 206: a broken source (nothing to route to).
      binding('206', 'sip:206@192.168.1.36', 'carrier-pigeon'),
    ].map((b) => ({ kind: 'upsert' as const, binding: b })));
    core = createDnsCore({ config, registrations: registeredContactsOf(location, 'office.lan', (n) => t.store.extensions.get(n) !== undefined) });
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
  });
  afterAll(() => {
    core.stop();
    location.close();
    t.cleanup();
  });

  const phone201: RouteDecision = {
    kind: 'relay', targets: [
      { uri: 'sip:201@192.168.1.21:5060', dest: { transport: 'udp', address: '192.168.1.21', port: 5060, fromShared: true }, extension: '201' },
      { uri: 'sip:201@192.168.1.31:5062;transport=tcp', dest: { transport: 'tcp', address: '192.168.1.31', port: 5062, connection: '192.168.1.31:51000' }, extension: '201' },
    ],
  };
  const rows: [string, string, Partial<LocatorDeps>, RouteDecision, string[]][] = [
    ['a registered extension: one target per flow, from the location view alone', '201', {}, phone201, []],
    ['IPv6 over TLS behind NAT: its connection only', '202', {}, {
      kind: 'relay', targets: [{ uri: 'sip:202@[fd00::22]:5061;transport=tls', dest: { transport: 'tls', address: '2001:db8::22', port: 40000, connection: 'tls:2001:db8::22:40000', flowOnly: true }, extension: '202' }],
    }, []],
    ['a TCP phone while TCP is off: 480', '203', { tcp: false }, { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' }, []],
    ['its E.164 number: through ENUM in the DNS function, to the same phones', '+15551234567', {}, phone201, ['+15551234567']],
    ['an extension without registrations but an admin record: through the DNS function', '205', {}, {
      kind: 'relay', targets: [{ uri: 'sip:205@192.168.1.205:5060', dest: { transport: 'udp', address: '192.168.1.205', port: 5060 }, extension: '205' }],
    }, ['205']],
    ['a known extension with nothing registered: 480', '204', {}, { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' }, ['204']],
    ['a binding whose source is not a flow counts as none: 480', '206', {}, { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' }, ['206']],
    ['an unknown number: 404', '299', {}, { kind: 'reply', status: 404, reason: 'Not Found' }, ['299']],
    ['redirect mode: 302 to the flows the phones registered from', '201', { mode: 'redirect' }, {
      kind: 'redirect', contacts: ['sip:201@192.168.1.21:5060', 'sip:201@192.168.1.31:51000;transport=tcp'],
    }, []],
    ['redirect mode, IPv6: the address in brackets', '202', { mode: 'redirect' }, { kind: 'redirect', contacts: ['sip:202@[2001:db8::22]:40000;transport=tls'] }, []],
  ];
  for (const [name, user, over, want, lookups] of rows) {
    test(`${name} (${user})`, async () => {
      asked.length = 0;
      expect(await locator(over)(user)).toEqual(want);
      expect(asked).toEqual(lookups);
    });
  }
});
