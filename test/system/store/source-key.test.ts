import { describe, expect, test } from 'bun:test';
import { describeSource, parseSourceKey, sourceKey, type FlowAddress } from '../../../system/store/source-key.ts';

/** A binding's or subscription's stored source (`transport:address:port`): one writer, one reader. */
describe('source keys', () => {
  const flows: [string, FlowAddress, string][] = [
    ['IPv4 over UDP', { transport: 'udp', address: '192.0.2.7', port: 5060 }, 'udp:192.0.2.7:5060'],
    ['IPv4 over TCP', { transport: 'tcp', address: '127.1.13.2', port: 51000 }, 'tcp:127.1.13.2:51000'],
    ['IPv4 over TLS', { transport: 'tls', address: '10.0.0.1', port: 5061 }, 'tls:10.0.0.1:5061'],
    ['IPv6 over UDP (no brackets: the port is after the last colon)', { transport: 'udp', address: '2001:db8::7', port: 5060 }, 'udp:2001:db8::7:5060'],
    ['IPv6 loopback over TCP', { transport: 'tcp', address: '::1', port: 40000 }, 'tcp:::1:40000'],
    ['IPv4-mapped IPv6 over TLS', { transport: 'tls', address: '::ffff:192.0.2.1', port: 5061 }, 'tls:::ffff:192.0.2.1:5061'],
  ];
  for (const [name, flow, key] of flows) {
    test(`${name}: ${key}, and back`, () => {
      expect(sourceKey(flow)).toBe(key as never);
      expect(parseSourceKey(key)).toEqual(flow);
    });
  }

  const read: [string, string, FlowAddress | undefined][] = [
    ['IPv6 with brackets is read too', 'tcp:[2001:db8::7]:5062', { transport: 'tcp', address: '2001:db8::7', port: 5062 }],
    ['bracketed IPv6 loopback', 'udp:[::1]:5060', { transport: 'udp', address: '::1', port: 5060 }],
    ['brackets around something that is not IPv6 stay', 'udp:[nope]:5060', { transport: 'udp', address: '[nope]', port: 5060 }],
    ['a host name is a source (the peer edge checks IP literals)', 'udp:evil.example:5060', { transport: 'udp', address: 'evil.example', port: 5060 }],
    ['unknown transport', 'sctp:10.0.0.1:5060', undefined],
    ['WebSocket is not a transport of ours', 'ws:10.0.0.1:80', undefined],
    ['transport in capitals', 'UDP:10.0.0.1:5060', undefined],
    ['no port', 'udp:10.0.0.1', undefined],
    ['empty port', 'udp:10.0.0.1:', undefined],
    ['port 0', 'udp:10.0.0.1:0', undefined],
    ['port above 65535', 'udp:10.0.0.1:65536', undefined],
    ['port not a number', 'udp:10.0.0.1:abc', undefined],
    ['negative port', 'udp:10.0.0.1:-5', undefined],
    ['no address', 'udp::5060', undefined],
    ['no colon at all', 'carrier-pigeon', undefined],
    ['empty', '', undefined],
  ];
  for (const [name, text, want] of read) test(`${name}: ${JSON.stringify(text)}`, () => expect(parseSourceKey(text)).toEqual(want));

  test('described for people: transport, then address:port; anything else as it is', () => {
    expect(describeSource('udp:192.0.2.7:5060')).toBe('udp 192.0.2.7:5060');
    expect(describeSource('tls:2001:db8::7:5061')).toBe('tls 2001:db8::7:5061');
    expect(describeSource('carrier-pigeon')).toBe('carrier-pigeon');
  });
});
