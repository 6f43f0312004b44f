import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDnsCore, type DnsCore } from '../../../appliance/dns/core.ts';
import { presentData, RCODE, rcodeName } from '../../../appliance/dns/records.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { OFFICE_RECORDS, seedExtension, seedRecords, tempStore, testConfig } from './support/dns-fixture.ts';

/** The resolver chain without sockets: CoreDNS-style {qname, qtype, rcode, answer} tables. */
describe('resolver chain', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  const contacts = new MemoryContacts();
  let core: DnsCore;

  beforeAll(() => {
    seedRecords(t.store, config, OFFICE_RECORDS);
    seedExtension(t.store, '201', '+15551234567');
    seedExtension(t.store, '202', null);
    contacts.register('201', '192.168.1.21');
    contacts.register('203', 'fd00::203');
    core = createDnsCore({ config, registrations: contacts });
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
  });
  afterAll(() => {
    core.stop();
    t.cleanup();
  });

  const SOA = 'ns.office.lan. hostmaster.office.lan.';
  const cases: { qname: string; qtype: string; rcode: keyof typeof RCODE; answer: (string | RegExp)[]; authority?: RegExp; aa?: boolean; client?: string }[] = [
    { qname: 'printer.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['printer.office.lan A 192.168.1.50'] },
    { qname: 'Printer.OFFICE.lan', qtype: 'AAAA', rcode: 'NOERROR', answer: ['printer.office.lan AAAA fd00::50'] },
    { qname: 'printer.office.lan', qtype: 'MX', rcode: 'NOERROR', answer: [], authority: /SOA/ }, // NODATA
    { qname: 'missing.office.lan', qtype: 'A', rcode: 'NXDOMAIN', answer: [], authority: /office\.lan SOA ns\.office\.lan/ },
    { qname: 'www.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['www.office.lan CNAME printer.office.lan.', 'printer.office.lan A 192.168.1.50'] },
    { qname: 'www.office.lan', qtype: 'CNAME', rcode: 'NOERROR', answer: ['www.office.lan CNAME printer.office.lan.'] },
    { qname: 'external.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['external.office.lan CNAME www.example.com.'] },
    { qname: 'info.office.lan', qtype: 'TXT', rcode: 'NOERROR', answer: ['info.office.lan TXT "hello world" "second"'] },
    { qname: '_ldap._tcp.office.lan', qtype: 'SRV', rcode: 'NOERROR', answer: ['_ldap._tcp.office.lan SRV 10 50 389 printer.office.lan.'] },
    { qname: '_tcp.office.lan', qtype: 'A', rcode: 'NOERROR', answer: [] }, // empty non-terminal (RFC 8020)
    { qname: 'office.lan', qtype: 'SOA', rcode: 'NOERROR', answer: [new RegExp(`^office\\.lan SOA ${SOA.replace(/\./g, '\\.')} \\d+ 3600 600 86400 60$`)] },
    { qname: 'office.lan', qtype: 'NS', rcode: 'NOERROR', answer: ['office.lan NS ns.office.lan.'] },
    { qname: 'ns.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['ns.office.lan A 127.0.0.1'] },
    { qname: 'office.lan', qtype: 'NAPTR', rcode: 'NOERROR', answer: ['office.lan NAPTR 90 50 "s" "SIP+D2T" "" _sip._tcp.office.lan.', 'office.lan NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.office.lan.'] },
    { qname: '_sip._udp.office.lan', qtype: 'SRV', rcode: 'NOERROR', answer: ['_sip._udp.office.lan SRV 10 100 5060 sip.office.lan.'] },
    { qname: '_sip._tcp.office.lan', qtype: 'SRV', rcode: 'NOERROR', answer: ['_sip._tcp.office.lan SRV 10 100 5060 sip.office.lan.'] },
    { qname: 'sip.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['sip.office.lan A 192.168.1.10'] },
    { qname: '201.office.lan', qtype: 'A', rcode: 'NOERROR', answer: ['201.office.lan A 192.168.1.21'] },
    { qname: '201.office.lan', qtype: 'AAAA', rcode: 'NOERROR', answer: [] },
    { qname: '203.office.lan', qtype: 'AAAA', rcode: 'NOERROR', answer: ['203.office.lan AAAA fd00::203'] },
    { qname: '202.office.lan', qtype: 'A', rcode: 'NXDOMAIN', answer: [] }, // extension without registration
    { qname: '21.1.168.192.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answer: ['21.1.168.192.in-addr.arpa PTR 201.office.lan.'] },
    { qname: '50.1.168.192.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answer: ['50.1.168.192.in-addr.arpa PTR printer.office.lan.'] },
    { qname: '99.1.168.192.in-addr.arpa', qtype: 'PTR', rcode: 'NOERROR', answer: ['99.1.168.192.in-addr.arpa PTR fax.office.lan.'] },
    { qname: '77.1.168.192.in-addr.arpa', qtype: 'PTR', rcode: 'NXDOMAIN', answer: [], authority: /168\.192\.in-addr\.arpa SOA/ },
    { qname: '7.6.5.4.3.2.1.5.5.5.1.e164.arpa', qtype: 'NAPTR', rcode: 'NOERROR', answer: ['7.6.5.4.3.2.1.5.5.5.1.e164.arpa NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:201@office.lan!" .'] },
    { qname: '5.5.5.1.e164.arpa', qtype: 'NAPTR', rcode: 'NOERROR', answer: [] }, // ENT in the ENUM tree
    { qname: '8.6.5.4.3.2.1.5.5.5.1.e164.arpa', qtype: 'NAPTR', rcode: 'NXDOMAIN', answer: [] },
    { qname: 'office.lan', qtype: 'ANY', rcode: 'NOERROR', answer: ['office.lan HINFO "RFC8482" ""'] }, // RFC 8482
    { qname: 'missing.office.lan', qtype: 'ANY', rcode: 'NXDOMAIN', answer: [] },
    { qname: 'example.com', qtype: 'A', rcode: 'REFUSED', answer: [], aa: false },
  ];

  for (const c of cases) {
    test(`${c.qname} ${c.qtype}${c.client ? ` from ${c.client}` : ''} → ${c.rcode}`, async () => {
      const ans = await core.resolve(c.qname, c.qtype, c.client);
      expect(rcodeName(ans.rcode)).toBe(c.rcode);
      const got = ans.answers.map((r) => `${r.name} ${r.type} ${presentData(r)}`);
      expect(got.length).toBe(c.answer.length);
      c.answer.forEach((want, i) => (typeof want === 'string' ? expect(got[i]).toBe(want) : expect(got[i]).toMatch(want)));
      expect(ans.authoritative).toBe(c.aa ?? true);
      if (c.authority) expect(ans.authority.map((r) => `${r.name} ${r.type} ${presentData(r)}`).join('\n')).toMatch(c.authority);
    });
  }

  test('negative answers carry the SOA with TTL = SOA minimum (RFC 2308 §3)', async () => {
    const ans = await core.resolve('missing.office.lan', 'A');
    const soa = ans.authority[0];
    expect(soa.type).toBe('SOA');
    if (soa.type === 'SOA') expect(soa.ttl).toBe(Math.min(60, soa.minimum));
  });

  test('a registration publishes and removes <extension>.<zone> and its PTR', async () => {
    contacts.register('250', '192.168.1.250');
    expect((await core.resolve('250.office.lan', 'A')).answers.map((r) => presentData(r))).toEqual(['192.168.1.250']);
    expect((await core.resolve('250.1.168.192.in-addr.arpa', 'PTR')).answers.map((r) => presentData(r))).toEqual(['250.office.lan.']);
    contacts.unregister('250');
    expect(rcodeName((await core.resolve('250.office.lan', 'A')).rcode)).toBe('NXDOMAIN');
    expect(rcodeName((await core.resolve('250.1.168.192.in-addr.arpa', 'PTR')).rcode)).toBe('NXDOMAIN');
  });

  test('SRV answers carry target addresses as additional data; the target list is settable', async () => {
    const before = await core.resolve('_sip._udp.office.lan', 'SRV');
    expect(before.additional.map((r) => presentData(r))).toEqual(['192.168.1.10']);
    core.setSipTargets([
      { host: 'sip.office.lan', address: '192.168.1.10', port: 5060, priority: 20, weight: 100 },
      { host: 'peer1.sip.office.lan', address: '192.168.1.11', port: 5060, priority: 10, weight: 100 },
    ]);
    const after = await core.resolve('_sip._udp.office.lan', 'SRV');
    expect(after.answers.map((r) => presentData(r))).toEqual(['20 100 5060 sip.office.lan.', '10 100 5060 peer1.sip.office.lan.']);
    expect((await core.resolve('peer1.sip.office.lan', 'A')).answers.map((r) => presentData(r))).toEqual(['192.168.1.11']);
    core.setSipTargets([{ host: 'sip.office.lan', address: '192.168.1.10', port: 5060, priority: 10, weight: 100 }]);
  });
});
