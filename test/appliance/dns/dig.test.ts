import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { StoreWatch } from '../../../appliance/connection-control/store-watch.ts';
import { startDnsFunction, type DnsFunction } from '../../../appliance/dns/index.ts';
import { validateRecord } from '../../../appliance/dns/record-input.ts';
import { servedZones } from '../../../appliance/dns/zones.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { dig, digShort, flags, status } from './support/dig.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { OFFICE_RECORDS, seedExtension, seedRecords, tempStore, testConfig } from './support/dns-fixture.ts';

/** The DNS function on real sockets (127.0.0.1, port 0), queried with dig over UDP and TCP. */
const haveDig = requireTool('dig');

describe.skipIf(!haveDig)('DNS function with dig', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  const contacts = new MemoryContacts();
  let dns: DnsFunction;
  let watch: StoreWatch;
  let port = 0;

  beforeAll(async () => {
    seedRecords(t.store, config, OFFICE_RECORDS);
    seedExtension(t.store, '201', '+15551234567');
    contacts.register('201', '192.168.1.21');
    dns = await startDnsFunction({ config, store: t.store, registrations: contacts });
    watch = new StoreWatch(t.store, () => dns.invalidate(), undefined, 50);
    port = dns.udpPort;
    expect(dns.tcpPort).toBe(port);
  });
  afterAll(async () => {
    watch.stop();
    await dns.stop();
    t.cleanup();
  });

  const table: [string, string, string[]][] = [
    ['printer.office.lan', 'A', ['192.168.1.50']],
    ['printer.office.lan', 'AAAA', ['fd00::50']],
    ['www.office.lan', 'CNAME', ['printer.office.lan.']],
    ['www.office.lan', 'A', ['printer.office.lan.', '192.168.1.50']],
    ['info.office.lan', 'TXT', ['"hello world" "second"']],
    ['_ldap._tcp.office.lan', 'SRV', ['10 50 389 printer.office.lan.']],
    ['gw.office.lan', 'NAPTR', ['10 10 "s" "SIP+D2U" "" _sip._udp.office.lan.']],
    ['99.1.168.192.in-addr.arpa', 'PTR', ['fax.office.lan.']],
    ['office.lan', 'NS', ['ns.office.lan.']],
    ['_sip._udp.office.lan', 'SRV', ['10 100 5060 sip.office.lan.']],
    ['_sip._tcp.office.lan', 'SRV', ['10 100 5060 sip.office.lan.']],
    ['office.lan', 'NAPTR', ['90 50 "s" "SIP+D2T" "" _sip._tcp.office.lan.', '100 50 "s" "SIP+D2U" "" _sip._udp.office.lan.']],
    ['sip.office.lan', 'A', ['192.168.1.10']],
    ['201.office.lan', 'A', ['192.168.1.21']],
    ['21.1.168.192.in-addr.arpa', 'PTR', ['201.office.lan.']],
    ['7.6.5.4.3.2.1.5.5.5.1.e164.arpa', 'NAPTR', ['100 10 "u" "E2U+sip" "!^.*$!sip:201@office.lan!" .']],
    ['office.lan', 'ANY', ['"RFC8482" ""']],
  ];
  for (const [name, type, want] of table) {
    test(`${name} ${type}`, async () => {
      expect(await digShort(port, name, type)).toEqual(want);
    });
  }

  test('SOA: authoritative, NOERROR', async () => {
    const out = await dig(port, 'office.lan', 'SOA');
    expect(status(out)).toBe('NOERROR');
    expect(flags(out)).toContain('aa');
    expect(out).toMatch(/office\.lan\.\s+60\s+IN\s+SOA\s+ns\.office\.lan\. hostmaster\.office\.lan\. \d+ 3600 600 86400 60/);
  });

  test('NXDOMAIN and NODATA both carry the SOA in authority', async () => {
    const nx = await dig(port, 'nothing.office.lan', 'A');
    expect(status(nx)).toBe('NXDOMAIN');
    expect(flags(nx)).toContain('aa');
    expect(nx).toMatch(/AUTHORITY SECTION:\noffice\.lan\.\s+60\s+IN\s+SOA/);
    const nodata = await dig(port, 'printer.office.lan', 'MX');
    expect(status(nodata)).toBe('NOERROR');
    expect(nodata).toMatch(/ANSWER: 0, AUTHORITY: 1/);
  });

  test('names are case-insensitive and the answer echoes the question case', async () => {
    const out = await dig(port, '+noall', '+answer', 'PrInTeR.OfFiCe.LaN', 'A');
    expect(out).toMatch(/^PrInTeR\.OfFiCe\.LaN\.\s+60\s+IN\s+A\s+192\.168\.1\.50/m);
  });

  test('foreign names are REFUSED (not an open resolver)', async () => {
    const out = await dig(port, 'example.com', 'A');
    expect(status(out)).toBe('REFUSED');
    expect(flags(out)).not.toContain('aa');
  });

  test('truncation: TC=1 over UDP with a 512-byte buffer, dig retries over TCP by default', async () => {
    const ignored = await dig(port, '+bufsize=512', '+ignore', 'big.office.lan', 'TXT');
    expect(flags(ignored)).toContain('tc');
    expect(ignored).toMatch(/ANSWER: 0/);
    const noedns = await dig(port, '+noedns', '+ignore', 'big.office.lan', 'TXT');
    expect(flags(noedns)).toContain('tc');
    const retried = await dig(port, '+bufsize=512', 'big.office.lan', 'TXT');
    expect(retried).toMatch(/Truncated, retrying in TCP mode/);
    expect(retried).toMatch(/ANSWER: 1/);
    expect(await digShort(port, 'big.office.lan', 'TXT', '+tcp')).toHaveLength(1);
  });

  test('EDNS(0): the advertised size is honoured and our OPT is returned', async () => {
    const out = await dig(port, '+bufsize=4096', 'big.office.lan', 'TXT');
    expect(flags(out)).not.toContain('tc');
    expect(out).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect(status(await dig(port, '+edns=1', '+noednsneg', 'printer.office.lan', 'A'))).toBe('BADVERS');
  });

  test('registration-derived names appear and disappear with the binding', async () => {
    contacts.register('230', '192.168.1.230');
    expect(await digShort(port, '230.office.lan', 'A')).toEqual(['192.168.1.230']);
    expect(await digShort(port, '230.1.168.192.in-addr.arpa', 'PTR')).toEqual(['230.office.lan.']);
    contacts.unregister('230');
    expect(status(await dig(port, '230.office.lan', 'A'))).toBe('NXDOMAIN');
  });

  test('a record added by another process (the admin CLI) is served after the store watch sees it', async () => {
    const other = openStore(t.dir);
    const v = validateRecord({ name: 'late', type: 'A', value: '192.168.1.77' }, servedZones(config));
    other.dnsRecords.add({ name: v.name, type: v.type, value: v.value, ttl: null });
    other.close();
    let got: string[] = [];
    for (let i = 0; i < 40 && got.length === 0; i++) {
      await Bun.sleep(50);
      got = await digShort(port, 'late.office.lan', 'A');
    }
    expect(got).toEqual(['192.168.1.77']);
  });

  test('in-process resolve and lookupIdentification agree with the wire', async () => {
    const ans = await dns.resolve('printer.office.lan', 'A');
    expect(ans.answers.map((r) => (r.type === 'A' ? r.address : ''))).toEqual(['192.168.1.50']);
    expect(await dns.lookupIdentification('+15551234567')).toEqual([{ address: '192.168.1.21', port: 5060, transport: 'udp' }]);
  });
});
