import { describe, expect, test } from 'bun:test';
import { networkInterfaces } from 'node:os';
import { listenEndpoints, parseConfig } from '../../../system/config/index.ts';
import { ConfigError } from '../../../system/errors/index.ts';

/** `[sip] listen` (string or list, one address per family) and `[sip] advertise` per family. */
const sip = (lines: string) => parseConfig(`[sip]\n${lines}`, 'test.toml', '/srv/appliance').sip;
function errorOf(lines: string): ConfigError {
  try {
    sip(lines);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

/** The host's first LAN address of a family, as the wildcard default picks it. */
function lan(family: 'IPv4' | 'IPv6'): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === family && !a.internal && !/^fe[89ab]/i.test(a.address)) return a.address;
  }
  return undefined;
}

describe('[sip] listen and advertise', () => {
  const rows: [string, string, string, string, { address: string; family: 4 | 6; advertise: string }[]][] = [
    ['one IPv4 address, as before', 'listen = "192.168.1.10"', '192.168.1.10', '192.168.1.10', [{ address: '192.168.1.10', family: 4, advertise: '192.168.1.10' }]],
    ['one IPv6 address', 'listen = "::1"', '::1', '::1', [{ address: '::1', family: 6, advertise: '::1' }]],
    ['a list of one', 'listen = ["10.0.0.2"]', '10.0.0.2', '10.0.0.2', [{ address: '10.0.0.2', family: 4, advertise: '10.0.0.2' }]],
    ['IPv4 and IPv6: each advertises itself, the first is primary', 'listen = ["127.0.160.1", "::1"]', '127.0.160.1', '127.0.160.1',
      [{ address: '127.0.160.1', family: 4, advertise: '127.0.160.1' }, { address: '::1', family: 6, advertise: '::1' }]],
    ['IPv6 first: IPv6 is primary', 'listen = ["::1", "127.0.160.1"]', '::1', '::1',
      [{ address: '::1', family: 6, advertise: '::1' }, { address: '127.0.160.1', family: 4, advertise: '127.0.160.1' }]],
    ['one advertise address: its family; the other advertises its listen address', 'listen = ["127.0.160.1", "::1"]\nadvertise = "2001:db8::5"', '127.0.160.1', '127.0.160.1',
      [{ address: '127.0.160.1', family: 4, advertise: '127.0.160.1' }, { address: '::1', family: 6, advertise: '2001:db8::5' }]],
    ['advertise per family as a list', 'listen = ["0.0.0.0", "::"]\nadvertise = ["2001:db8::5", "192.0.2.5"]', '0.0.0.0', '192.0.2.5',
      [{ address: '0.0.0.0', family: 4, advertise: '192.0.2.5' }, { address: '::', family: 6, advertise: '2001:db8::5' }]],
    ['one IPv4 advertise for a lone IPv6 listen (dual-stack socket), as before', 'listen = "::"\nadvertise = "192.0.2.5"', '::', '192.0.2.5',
      [{ address: '::', family: 6, advertise: '192.0.2.5' }]],
  ];
  for (const [name, lines, listen, advertise, addresses] of rows) {
    test(name, () => {
      const s = sip(lines);
      expect(s.listen).toBe(listen);
      expect(s.advertise).toBe(advertise);
      expect(s.listenAddresses).toEqual(addresses);
    });
  }

  test('wildcards of both families advertise the first LAN address of each (IPv4: 127.0.0.1, IPv6: ::1 without one)', () => {
    const s = sip('listen = ["0.0.0.0", "::"]');
    expect(s.listenAddresses.map((l) => l.advertise)).toEqual([lan('IPv4') ?? '127.0.0.1', lan('IPv6') ?? '::1']);
    expect(s.advertise).toBe(s.listenAddresses[0].advertise);
  });
  test('the default is 0.0.0.0 alone, advertising an IPv4 address', () => {
    const s = parseConfig('', 'test.toml').sip;
    expect(s.listenAddresses).toEqual([{ address: '0.0.0.0', family: 4, advertise: lan('IPv4') ?? '127.0.0.1' }]);
  });
  test('a lone :: still advertises IPv4 (its socket is dual-stack)', () => {
    expect(sip('listen = "::"').advertise).toBe(lan('IPv4') ?? '127.0.0.1');
  });
  test('log form: IPv6 bracketed', () => {
    expect(listenEndpoints(sip('listen = ["127.0.160.1", "::1"]').listenAddresses, 5060)).toBe('127.0.160.1:5060, [::1]:5060');
  });

  const bad: [string, string, string, RegExp][] = [
    ['a name', 'listen = "eth0"', 'sip.listen', /not an IP address/],
    ['an empty list', 'listen = []', 'sip.listen', /at least one/],
    ['a name in the list', 'listen = ["127.0.0.1", "lo"]', 'sip.listen[1]', /not an IP address/],
    ['a number', 'listen = 5060', 'sip.listen', /not an IP address/],
    ['two IPv4 addresses', 'listen = ["127.0.0.1", "10.0.0.1"]', 'sip.listen', /two IPv4 addresses; at most one per family/],
    ['two IPv6 addresses', 'listen = ["::1", "::"]', 'sip.listen', /two IPv6/],
    ['a malformed IPv4 address', 'listen = "127.0.0"', 'sip.listen', /not an IP address/],
    ['advertise not an address', 'listen = ["127.0.0.1", "::1"]\nadvertise = "pbx.office.lan"', 'sip.advertise', /not an IP address/],
    ['two advertise of one family', 'listen = ["127.0.0.1", "::1"]\nadvertise = ["192.0.2.1", "192.0.2.2"]', 'sip.advertise', /two IPv4/],
    ['two advertise addresses for one listen address', 'listen = "127.0.0.1"\nadvertise = ["192.0.2.1", "2001:db8::1"]', 'sip.advertise', /one advertise address per listen address/],
  ];
  for (const [name, lines, key, message] of bad) {
    test(`${name} → ${key}`, () => {
      const e = errorOf(lines);
      expect(e.key).toBe(key);
      expect(e.message).toMatch(message);
    });
  }
});
