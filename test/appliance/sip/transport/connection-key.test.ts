import { describe, expect, test } from 'bun:test';
import { connectionKey, connectionTransport, describeConnection, parseConnectionKey, type StreamTransport } from '../../../../appliance/sip/transport/connection-key.ts';

/** TCP and TLS connection keys: one table and one IPC for both edges, so the two never collide. */
describe('connection keys', () => {
  const rows: [string, StreamTransport, string, number, string][] = [
    ['IPv4 over TCP: address:port', 'tcp', '127.1.13.2', 51000, '127.1.13.2:51000'],
    ['IPv4 over TLS: tls: in front', 'tls', '127.1.13.2', 51000, 'tls:127.1.13.2:51000'],
    ['IPv6 over TCP: no brackets, the port after the last colon', 'tcp', '2001:db8::7', 5062, '2001:db8::7:5062'],
    ['IPv6 loopback over TLS', 'tls', '::1', 5061, 'tls:::1:5061'],
  ];
  for (const [name, transport, address, port, key] of rows) {
    test(`${name}: ${key}, and back`, () => {
      expect(connectionKey(transport, address, port)).toBe(key as never);
      expect(connectionTransport(key)).toBe(transport);
      expect(parseConnectionKey(key)).toEqual({ transport, address, port });
      expect(describeConnection(key)).toBe(`${address}:${port}`);
    });
  }

  test('the same far end over TCP and over TLS: two keys', () => {
    expect(connectionKey('tcp', '192.0.2.7', 5061)).not.toBe(connectionKey('tls', '192.0.2.7', 5061));
  });

  const bad: [string, string][] = [
    ['no port', '192.0.2.7'],
    ['port 0', '192.0.2.7:0'],
    ['port above 65535', 'tls:192.0.2.7:70000'],
    ['port not a number', '192.0.2.7:x'],
    ['no address', ':5060'],
    ['TLS without an address', 'tls::5061'],
    ['empty', ''],
  ];
  for (const [name, key] of bad) test(`not a key, ${name}: ${JSON.stringify(key)}`, () => expect(parseConnectionKey(key)).toBeUndefined());

  test('a bracketed IPv6 far end is read as the address', () => {
    expect(parseConnectionKey('[2001:db8::7]:5062')).toEqual({ transport: 'tcp', address: '2001:db8::7', port: 5062 });
  });
});
