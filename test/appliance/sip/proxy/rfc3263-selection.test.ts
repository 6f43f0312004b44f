import { describe, expect, test } from 'bun:test';
import type { ResourceRecord } from '../../../../appliance/dns/records.ts';
import { lookupPlan, naptrChoices, orderSrv, srvName, type LookupPlan, type SipWireTransport, type UriParts } from '../../../../appliance/sip/proxy/rfc3263-selection.ts';
import { SeededRandom } from '../../../support/seeded-random.ts';

const ALL: SipWireTransport[] = ['udp', 'tcp', 'tls'];

/** What to look up for a URI (RFC 3263 §4.1, §4.2). */
describe('lookupPlan', () => {
  const rows: [string, UriParts, readonly SipWireTransport[], LookupPlan | undefined][] = [
    ['numeric host: UDP 5060', { sips: false, host: '192.0.2.1' }, ALL, { kind: 'numeric', transport: 'udp', address: '192.0.2.1', port: 5060 }],
    ['numeric host, transport=tcp', { sips: false, host: '192.0.2.1', transport: 'TCP' }, ALL, { kind: 'numeric', transport: 'tcp', address: '192.0.2.1', port: 5060 }],
    ['numeric IPv6 host in brackets, sips: TLS 5061', { sips: true, host: '[2001:db8::1]' }, ALL, { kind: 'numeric', transport: 'tls', address: '2001:db8::1', port: 5061 }],
    ['numeric host with port', { sips: false, host: '192.0.2.1', port: 5080 }, ALL, { kind: 'numeric', transport: 'udp', address: '192.0.2.1', port: 5080 }],
    ['explicit port: A/AAAA only (§4.2)', { sips: false, host: 'Other.Example.', port: 5070 }, ALL, { kind: 'address', transport: 'udp', host: 'other.example', port: 5070 }],
    ['explicit port and transport=tcp', { sips: false, host: 'other.example', port: 5070, transport: 'tcp' }, ALL, { kind: 'address', transport: 'tcp', host: 'other.example', port: 5070 }],
    ['explicit transport: SRV of that transport', { sips: false, host: 'other.example', transport: 'tcp' }, ALL, { kind: 'srv', host: 'other.example', transports: ['tcp'] }],
    ['transport=tls: SRV _sips._tcp', { sips: false, host: 'other.example', transport: 'tls' }, ALL, { kind: 'srv', host: 'other.example', transports: ['tls'] }],
    ['neither: NAPTR over every enabled transport', { sips: false, host: 'other.example' }, ['udp', 'tcp'], { kind: 'naptr', host: 'other.example', transports: ['udp', 'tcp'] }],
    ['sips: NAPTR, TLS only (RFC 5630)', { sips: true, host: 'other.example' }, ALL, { kind: 'naptr', host: 'other.example', transports: ['tls'] }],
    ['sips: without TLS enabled: nothing', { sips: true, host: 'other.example' }, ['udp', 'tcp'], undefined],
    ['sips: with transport=tcp: TLS SRV', { sips: true, host: 'other.example', transport: 'tcp' }, ALL, { kind: 'srv', host: 'other.example', transports: ['tls'] }],
    ['sips: with transport=udp: nothing (RFC 5630)', { sips: true, host: 'other.example', transport: 'udp' }, ALL, undefined],
    ['sips: with a port: TLS on it', { sips: true, host: 'other.example', port: 5071 }, ALL, { kind: 'address', transport: 'tls', host: 'other.example', port: 5071 }],
    ['transport=tcp with TCP off: nothing', { sips: false, host: 'other.example', transport: 'tcp' }, ['udp'], undefined],
    ['numeric host, UDP off: nothing (no silent switch)', { sips: false, host: '192.0.2.1' }, ['tcp'], undefined],
    ['unknown transport parameter: as if none', { sips: false, host: 'other.example', transport: 'sctp' }, ['udp'], { kind: 'naptr', host: 'other.example', transports: ['udp'] }],
  ];
  for (const [name, uri, enabled, expected] of rows) test(name, () => expect(lookupPlan(uri, enabled)).toEqual(expected));
});

test('srvName (RFC 3263 §4.1)', () => {
  expect(['udp', 'tcp', 'tls'].map((t) => srvName(t as SipWireTransport, 'other.example'))).toEqual(['_sip._udp.other.example', '_sip._tcp.other.example', '_sips._tcp.other.example']);
});

const naptr = (order: number, preference: number, services: string, replacement: string, flags = 's', regexp = ''): ResourceRecord =>
  ({ name: 'other.example', ttl: 60, type: 'NAPTR', order, preference, flags, services, regexp, replacement });

/** NAPTR filtering and order (RFC 3263 §4.1, RFC 3403 §4.1). */
describe('naptrChoices', () => {
  const recs = [
    naptr(20, 10, 'SIP+D2U', '_sip._udp.other.example'),
    naptr(10, 20, 'SIP+D2T', '_sip._tcp.other.example'),
    naptr(10, 10, 'SIPS+D2T', '_sips._tcp.other.example'),
    naptr(5, 5, 'E2U+sip', '', 'u', '!^.*$!sip:x@y!'),
    naptr(1, 1, 'SIP+D2S', '_sip._sctp.other.example'),
    naptr(1, 1, 'SIP+D2U', 'a.other.example', 'a'),
    naptr(1, 1, 'SIP+D2U', '', 's'),
  ];
  const rows: [string, readonly ResourceRecord[], readonly SipWireTransport[], { transport: string; srv: string }[]][] = [
    ['order then preference; unknown services, flags and regexps dropped', recs, ALL, [
      { transport: 'tls', srv: '_sips._tcp.other.example' }, { transport: 'tcp', srv: '_sip._tcp.other.example' }, { transport: 'udp', srv: '_sip._udp.other.example' }]],
    ['only enabled transports', recs, ['udp'], [{ transport: 'udp', srv: '_sip._udp.other.example' }]],
    ['a sips: URI asks with TLS only', recs, ['tls'], [{ transport: 'tls', srv: '_sips._tcp.other.example' }]],
    ['services and flags case-insensitive, trailing dot dropped', [naptr(1, 1, 'sip+d2t', '_SIP._tcp.Other.Example.', 'S')], ALL, [{ transport: 'tcp', srv: '_sip._tcp.other.example' }]],
    ['no NAPTR at all', [], ALL, []],
    ['other record types ignored', [{ name: 'other.example', ttl: 60, type: 'A', address: '192.0.2.1' }], ALL, []],
  ];
  for (const [name, records, enabled, expected] of rows) test(name, () => expect(naptrChoices(records, enabled)).toEqual(expected as never));
});

const srv = (priority: number, weight: number, port: number, target: string): ResourceRecord =>
  ({ name: '_sip._udp.other.example', ttl: 60, type: 'SRV', priority, weight, port, target });

/** RFC 2782 ordering: priority ascending, weighted random within a priority. */
describe('orderSrv', () => {
  const fixed = (v: number) => () => v;
  const rows: [string, readonly ResourceRecord[], () => number, string[]][] = [
    ['priority first, whatever the weights', [srv(20, 100, 5060, 'b'), srv(10, 1, 5060, 'a')], fixed(0.99), ['a', 'b']],
    ['random 0 picks the weight-0 record placed first', [srv(10, 50, 5060, 'w50'), srv(10, 0, 5060, 'w0')], fixed(0), ['w0', 'w50']],
    ['random near 1 picks the last of the running sum', [srv(10, 10, 5060, 'a'), srv(10, 90, 5060, 'b')], fixed(0.999), ['b', 'a']],
    ['random small picks the first weighted', [srv(10, 10, 5060, 'a'), srv(10, 90, 5060, 'b')], fixed(0.05), ['a', 'b']],
    ['lone "." target: service not available', [srv(0, 0, 0, '.')], fixed(0.5), []],
    ['"." among others is skipped', [srv(0, 0, 0, ''), srv(10, 5, 5060, 'a')], fixed(0.5), ['a']],
    ['all weights 0: every record still listed', [srv(10, 0, 5060, 'a'), srv(10, 0, 5061, 'b'), srv(10, 0, 5062, 'c')], fixed(0.5), ['a', 'b', 'c']],
    ['target names lower-cased without trailing dot', [srv(10, 1, 5060, 'SIP1.Other.Example.')], fixed(0.5), ['sip1.other.example']],
    ['no SRV', [], fixed(0.5), []],
  ];
  for (const [name, records, random, expected] of rows) test(name, () => expect(orderSrv(records, random).map((s) => s.target)).toEqual(expected));

  test('ports carried with their targets', () => {
    expect(orderSrv([srv(10, 1, 5070, 'a'), srv(20, 1, 5080, 'b')], Math.random).map((s) => `${s.target}:${s.port}`)).toEqual(['a:5070', 'b:5080']);
  });

  test('weights share the first place in proportion (bounded seeded sample)', () => {
    const rnd = new SeededRandom(3263);
    const records = [srv(10, 10, 5060, 'a'), srv(10, 30, 5060, 'b'), srv(10, 60, 5060, 'c'), srv(20, 100, 5060, 'z')];
    const first: Record<string, number> = { a: 0, b: 0, c: 0, z: 0 };
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const order = orderSrv(records, () => rnd.next());
      expect(order).toHaveLength(4);
      expect(order[3].target).toBe('z'); // the lower-priority record always last
      first[order[0].target]++;
    }
    // Expected shares 10/30/60 % of the first place (±3 points at N = 4000, about 4 sigma).
    expect(Math.abs(first.a / N - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(first.b / N - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(first.c / N - 0.6)).toBeLessThan(0.03);
    expect(first.z).toBe(0);
  });

  test('a weight-0 record among weighted ones is first only rarely', () => {
    const rnd = new SeededRandom(2782);
    let zeroFirst = 0;
    for (let i = 0; i < 2000; i++) if (orderSrv([srv(1, 0, 5060, 'zero'), srv(1, 100, 5060, 'hundred')], () => rnd.next())[0].target === 'zero') zeroFirst++;
    expect(zeroFirst).toBeLessThan(2000 * 0.03); // chance 1/101
  });
});
