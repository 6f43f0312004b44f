import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDnsCore, type DnsCore } from '../../../../appliance/dns/core.ts';
import type { SipWireTransport, UriParts } from '../../../../appliance/sip/proxy/rfc3263-selection.ts';
import { MAX_DESTINATIONS, UriResolver } from '../../../../appliance/sip/proxy/uri-resolver.ts';
import { MemoryContacts } from '../../dns/support/memory-contacts.ts';
import { seedRecords, tempStore, testConfig } from '../../dns/support/dns-fixture.ts';

/**
 * RFC 3263 §4 lookups against the real DNS function (socket-free core) with admin records of
 * our zone, no forwarders: each URI form asks what the RFC says and lists destinations in order.
 */
describe('UriResolver over the DNS function', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  let core: DnsCore;
  const H1 = '127.0.140.31';
  const H2 = '127.0.140.32';
  beforeAll(() => {
    seedRecords(t.store, config, [
      ['h1', 'A', H1], ['h2', 'A', H2], ['c', 'A', '127.0.140.33'],
      ['a', 'NAPTR', '10 10 "s" "SIP+D2T" "" _sip._tcp.a.office.lan'],
      ['a', 'NAPTR', '20 10 "s" "SIP+D2U" "" _sip._udp.a.office.lan'],
      ['_sip._tcp.a', 'SRV', '10 100 5072 h1.office.lan'],
      ['_sip._udp.a', 'SRV', '10 100 5070 h1.office.lan'],
      ['_sip._udp.a', 'SRV', '20 100 5071 h2.office.lan'],
      ['_sips._tcp.a', 'SRV', '10 100 5061 h1.office.lan'],
      ['_sip._udp.b', 'SRV', '10 100 5080 h2.office.lan'],
      ['_sip._tcp.b', 'SRV', '10 100 5081 h1.office.lan'],
      ['_sip._udp.gone', 'SRV', '0 0 0 .'],
      ['gone', 'A', '127.0.140.34'],
      // A hostile zone: 30 SRV records (fail-over must stay bounded).
      ...Array.from({ length: 30 }, (_, i) => ['_sip._udp.many', 'SRV', `10 10 ${6000 + i} h1.office.lan`] as [string, string, string]),
    ]);
    core = createDnsCore({ config, registrations: new MemoryContacts() });
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
  });
  afterAll(() => {
    core.stop();
    t.cleanup();
  });

  const resolver = (transports: SipWireTransport[]) => new UriResolver({ query: (n, ty) => core.resolve(n, ty), transports, random: () => 0 });
  const ALL: SipWireTransport[] = ['udp', 'tcp', 'tls'];
  const uri = (host: string, more: Partial<UriParts> = {}): UriParts => ({ sips: false, host, ...more });

  const rows: [string, UriParts, SipWireTransport[], string[]][] = [
    ['NAPTR order: TCP (order 10) before UDP (order 20), each SRV by priority', uri('a.office.lan'), ALL,
      [`tcp:${H1}:5072`, `udp:${H1}:5070`, `udp:${H2}:5071`]],
    ['NAPTR of a transport we have not enabled is skipped', uri('a.office.lan'), ['udp'], [`udp:${H1}:5070`, `udp:${H2}:5071`]],
    ['sips: no SIPS+D2T NAPTR: SRV _sips._tcp, TLS only', uri('a.office.lan', { sips: true }), ALL, [`tls:${H1}:5061`]],
    ['explicit transport: SRV of that transport only', uri('a.office.lan', { transport: 'udp' }), ALL, [`udp:${H1}:5070`, `udp:${H2}:5071`]],
    ['no NAPTR: SRV of each enabled transport in our order', uri('b.office.lan'), ALL, [`udp:${H2}:5080`, `tcp:${H1}:5081`]],
    ['no NAPTR, TCP off', uri('b.office.lan'), ['udp'], [`udp:${H2}:5080`]],
    ['no NAPTR, no SRV: A on 5060 (§4.2)', uri('c.office.lan'), ALL, ['udp:127.0.140.33:5060']],
    ['no NAPTR, no SRV, UDP off: TCP on 5060', uri('c.office.lan'), ['tcp'], ['tcp:127.0.140.33:5060']],
    ['sips: with A only: TLS on 5061', uri('c.office.lan', { sips: true }), ALL, ['tls:127.0.140.33:5061']],
    ['explicit port: A only, no SRV asked', uri('a.office.lan', { port: 5099 }), ALL, []],
    ['explicit port on a host with an A', uri('c.office.lan', { port: 5099, transport: 'tcp' }), ALL, ['tcp:127.0.140.33:5099']],
    ['numeric host: no DNS', uri('127.0.140.40'), ALL, ['udp:127.0.140.40:5060']],
    ['SRV "." (RFC 2782: decidedly no service): no destination, no A fallback', uri('gone.office.lan', { transport: 'udp' }), ALL, []],
    ['the same host without SRV asked for: its A', uri('gone.office.lan', { transport: 'udp', port: 5060 }), ALL, ['udp:127.0.140.34:5060']],
    ['unknown name: nothing', uri('nothing.office.lan'), ALL, []],
    ['sips: with TLS off: nothing', uri('a.office.lan', { sips: true }), ['udp', 'tcp'], []],
  ];
  for (const [name, u, transports, expected] of rows) {
    test(name, async () => {
      const got = await resolver(transports).resolve(u);
      expect(got.map((d) => `${d.transport}:${d.address}:${d.port}`)).toEqual(expected);
    });
  }

  test('TLS destinations name the domain looked up for the certificate check (RFC 5922), not the SRV target', async () => {
    const got = await resolver(ALL).resolve(uri('a.office.lan', { sips: true }));
    expect(got).toEqual([{ transport: 'tls', address: H1, port: 5061, serverName: 'a.office.lan' }]);
    expect((await resolver(ALL).resolve(uri('a.office.lan', { transport: 'udp' })))[0]).not.toHaveProperty('serverName');
  });

  test('attack: a zone with 30 SRV records yields at most MAX_DESTINATIONS', async () => {
    const got = await resolver(ALL).resolve(uri('many.office.lan'));
    expect(got).toHaveLength(MAX_DESTINATIONS);
    expect(new Set(got.map((d) => d.port)).size).toBe(MAX_DESTINATIONS);
  });

  test('a name outside our zones without forwarders: the system resolver (A/AAAA)', async () => {
    const got = await resolver(ALL).resolve(uri('localhost'));
    expect(got.length).toBeGreaterThan(0);
    for (const d of got) {
      expect(['127.0.0.1', '::1']).toContain(d.address);
      expect(d).toMatchObject({ transport: 'udp', port: 5060 });
    }
  });

  test('a failing DNS query is no destination, not a crash', async () => {
    const r = new UriResolver({ query: () => Promise.reject(new Error('socket closed')), transports: ALL, systemLookup: async () => [] });
    expect(await r.resolve(uri('other.example'))).toEqual([]);
  });
});
