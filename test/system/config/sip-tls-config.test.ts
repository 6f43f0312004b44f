import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../../../system/config/index.ts';

const parse = (sip: string, tls = '') => parseConfig(`data_dir = "/tmp/x"\n[sip]\n${sip}\n${tls ? `[sip.tls]\n${tls}\n` : ''}`, '/etc/appliance/test.toml', '/etc/appliance');

describe('[sip] transports "tls" and [sip.tls]', () => {
  test('defaults: TLS off (udp, tcp), port 5061, generated certificate, servers verified', () => {
    const c = parse('');
    expect(c.sip.transports).toEqual(['udp', 'tcp']);
    expect(c.sip.tls).toEqual({ port: 5061, verify: true });
  });
  const ok: [string, string, Record<string, unknown>][] = [
    ['transports = ["udp", "tcp", "tls"]', '', { port: 5061, verify: true }],
    ['transports = ["tls"]', 'port = 5062', { port: 5062, verify: true }],
    ['transports = ["tls"]', 'cert = "certs/sip.pem"\nkey = "/abs/sip-key.pem"', { cert: '/etc/appliance/certs/sip.pem', key: '/abs/sip-key.pem' }],
    ['transports = ["tls"]', 'verify = false\nca = "ca.pem"', { verify: false, ca: '/etc/appliance/ca.pem' }],
    ['port = 0', 'port = 0', { port: 0 }],
  ];
  for (const [sip, tls, want] of ok) {
    test(`accepted: ${sip} / ${tls.replace(/\n/g, ', ') || '(no table)'}`, () => expect(parse(sip, tls).sip.tls).toMatchObject(want));
  }
  const bad: [string, string, string][] = [
    ['transports = ["udp", "sctp"]', '', 'sip.transports'],
    ['', 'cert = "a.pem"', 'sip.tls.key'],
    ['', 'key = "a.pem"', 'sip.tls.cert'],
    ['', 'port = 5060', 'sip.tls.port'],
    ['', 'port = 70000', 'sip.tls.port'],
    ['', 'port = "5061"', 'sip.tls.port'],
    ['', 'verify = "yes"', 'sip.tls.verify'],
    ['', 'certificate = "a.pem"', 'sip.tls.certificate'],
    ['', 'cert = ""\nkey = ""', 'sip.tls.cert'],
  ];
  for (const [sip, tls, key] of bad) test(`refused, naming the key: ${sip} ${tls.replace(/\n/g, ', ')}`, () => expect(() => parse(sip, tls)).toThrow(key));
  test('a [sip.tls] that is not a table is refused', () => {
    expect(() => parseConfig('data_dir = "/tmp/x"\n[sip]\ntls = 5061\n', 'test')).toThrow('sip.tls');
  });
});
