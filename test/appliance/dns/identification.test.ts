import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDnsCore, type DnsCore } from '../../../appliance/dns/core.ts';
import { applyRegexp } from '../../../appliance/dns/identification.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { OFFICE_RECORDS, seedExtension, seedRecords, tempStore, testConfig } from './support/dns-fixture.ts';

/** lookupIdentification: extension, AOR, E.164 via ENUM, host name; foreign domains give nothing. */
describe('lookupIdentification', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  const contacts = new MemoryContacts();
  let core: DnsCore;
  beforeAll(() => {
    seedRecords(t.store, config, [...OFFICE_RECORDS, ['205', 'A', '192.168.1.205']]);
    seedExtension(t.store, '201', '+15551234567');
    seedExtension(t.store, '202', '+15551230000');
    contacts.register('201', '192.168.1.21', 5062, 'tcp');
    contacts.register('201', 'fd00::21', 5060, 'udp');
    core = createDnsCore({ config, registrations: contacts });
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
  });
  afterAll(() => {
    core.stop();
    t.cleanup();
  });

  const phone201 = [{ address: '192.168.1.21', port: 5062, transport: 'tcp' }, { address: 'fd00::21', port: 5060, transport: 'udp' }];
  const cases: [string, unknown[]][] = [
    ['201', phone201],
    ['sip:201@office.lan', phone201],
    ['sip:201@office.lan;transport=udp', phone201],
    ['+15551234567', phone201],
    ['tel:+15551234567', phone201],
    ['sip:+15551234567@office.lan', phone201],
    ['+15551230000', []], // known number, extension not registered
    ['+19999999999', []], // unknown number
    ['202', []],
    ['205', [{ address: '192.168.1.205', port: 5060, transport: 'udp' }]], // admin record, no registration
    ['sip:printer.office.lan', [{ address: '192.168.1.50', port: 5060, transport: 'udp' }, { address: 'fd00::50', port: 5060, transport: 'udp' }]],
    ['sip:201@example.com', []], // not our domain: no open relay
    // The SIP grammar's URI parser (message/uri.ts): scheme in any case, userinfo, sips:, port, IPv6, bad URIs.
    ['SIP:201@Office.LAN', phone201],
    ['sip:201:secret@office.lan', phone201],
    ['sip:201@office.lan.', phone201],
    ['sips:printer.office.lan', [{ address: '192.168.1.50', port: 5060, transport: 'tls' }, { address: 'fd00::50', port: 5060, transport: 'tls' }]],
    ['sip:printer.office.lan:5070;transport=TCP', [{ address: '192.168.1.50', port: 5070, transport: 'tcp' }, { address: 'fd00::50', port: 5070, transport: 'tcp' }]],
    ['sip:201@[fd00::21]:5060', []], // an address is not our domain
    ['sip:201@office.lan:0', []], // not a URI
    ['sip:201@office.lan:70000', []],
    ['sip:', []],
    ['sip:201 @office.lan', []],
  ];
  for (const [ident, want] of cases) {
    test(`${ident} → ${want.length} target(s)`, async () => {
      expect(await core.lookupIdentification(ident)).toEqual(want as never);
    });
  }

  test('NAPTR regexp substitution (RFC 3402 §3.2)', () => {
    expect(applyRegexp('!^.*$!sip:201@office.lan!', '+15551234567')).toBe('sip:201@office.lan');
    expect(applyRegexp('!^\\+1555(.*)$!sip:\\1@office.lan!', '+15551234567')).toBe('sip:1234567@office.lan');
    expect(applyRegexp('!([!', '+1')).toBeUndefined();
  });
});
