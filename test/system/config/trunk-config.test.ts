import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { ConfigError } from '../../../system/errors/index.ts';

/** `[[trunks]]`, `[[routes]]`, `[[inbound]]`, `[emergency] trunk` (issue 14): typed, every error naming its key. */
const parse = (text: string) => parseConfig(text, 'test.toml', '/srv/appliance');
function keyOf(text: string): string {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  throw new Error('parsed without error');
}

const TRUNK = '[[trunks]]\nname = "provider"\nregistrar = "sip.provider.example"\nusername = "5551230000"\npassword = "pw-of-the-trunk"\n';
const EMERGENCY = '[emergency]\ntrunk = "provider"\n';
const ROUTE = '[[routes]]\nname = "national"\npattern = "^9(1[2-9][0-9]{9})$"\nreplace = "+$1"\ntrunk = "provider"\nclass = "national"\n';

describe('trunk config: the issue\'s example', () => {
  test('every key, defaults filled in', () => {
    const c = parse(`${TRUNK}caller_id = "+15551230000"\n${ROUTE}[[inbound]]\ndid = "+15551230100"\ntrunk = "provider"\nto = "201"\n[emergency]\nnumbers = ["911", "112"]\ntrunk = "provider"\n`);
    expect(c.trunks).toEqual([{
      name: 'provider', registrarHost: 'sip.provider.example', registrarPort: undefined, transport: 'udp', username: '5551230000',
      password: 'pw-of-the-trunk', authUsername: '5551230000', domain: 'sip.provider.example', register: true, callerId: '+15551230000', keepaliveS: 30,
      tlsCaFile: undefined, tlsCa: undefined,
    }]);
    expect(c.routes[0]).toMatchObject({ name: 'national', trunk: 'provider', class: 'national', replace: '+$1', failover: [] });
    expect('919195551234'.replace(c.routes[0].regex, c.routes[0].replace)).toBe('+19195551234');
    expect(c.inbound).toEqual([{ did: '+15551230100', match: { kind: 'number', number: '+15551230100' }, trunk: 'provider', to: '201' }]);
    expect(c.emergency).toEqual({ numbers: ['911', '112'], trunk: 'provider' });
  });
  test('no trunks: empty lists, no emergency trunk', () => {
    const c = parse('');
    expect([c.trunks, c.routes, c.inbound, c.emergency.trunk]).toEqual([[], [], [], undefined]);
  });
  test('registrar host:port, IPv6 in brackets, explicit auth_username and domain, tcp', () => {
    const c = parse(`[[trunks]]\nname = "a"\nregistrar = "Sip.Example.COM:5080"\ntransport = "tcp"\nusername = "u1"\npassword = "p"\nauth_username = "authu"\ndomain = "example.com"\n` +
      `[[trunks]]\nname = "b"\nregistrar = "[2001:db8::1]:5070"\nregister = false\nusername = "u2"\n[emergency]\ntrunk = "a"\n`);
    expect(c.trunks[0]).toMatchObject({ registrarHost: 'sip.example.com', registrarPort: 5080, transport: 'tcp', authUsername: 'authu', domain: 'example.com' });
    expect(c.trunks[1]).toMatchObject({ registrarHost: '2001:db8::1', registrarPort: 5070, register: false, password: '' });
  });
  test('inbound did: "*" and a pattern', () => {
    const c = parse(`${TRUNK}${EMERGENCY}[[inbound]]\ndid = "*"\ntrunk = "provider"\nto = "201"\n[[inbound]]\ndid = "^\\\\+1555123010[0-9]$"\ntrunk = "provider"\nto = "202"\n`);
    expect(c.inbound[0].match).toEqual({ kind: 'any' });
    const m = c.inbound[1].match;
    expect(m.kind === 'pattern' && m.regex.test('+15551230105')).toBe(true);
  });
});

const TWO = `${TRUNK}[[trunks]]\nname = "backup"\nregistrar = "sip.backup.example"\nusername = "u2"\npassword = "pw-of-backup"\n${EMERGENCY}`;

describe('trunk config: fail-over trunks', () => {
  test('a name or a list, in order', () => {
    const one = parse(`${TWO}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = "backup"\nclass = "local"\n`);
    expect(one.routes[0].failover).toEqual(['backup']);
    const list = parse(`${TWO}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "backup"\nfailover = ["provider"]\nclass = "local"\n`);
    expect(list.routes[0].failover).toEqual(['provider']);
  });
});

describe('trunk config: errors name the key', () => {
  const cases: [string, string, string][] = [
    ['route pattern that does not compile', `${TRUNK}${EMERGENCY}${ROUTE}[[routes]]\nname = "bad"\npattern = "^9(1"\ntrunk = "provider"\nclass = "local"\n`, 'routes[1].pattern'],
    ['route naming an unknown trunk', `${TRUNK}${EMERGENCY}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "nope"\nclass = "local"\n`, 'routes[0].trunk'],
    ['route failover naming an unknown trunk', `${TRUNK}${EMERGENCY}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = "nope"\nclass = "local"\n`, 'routes[0].failover'],
    ['route failover = its own trunk', `${TRUNK}${EMERGENCY}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = "provider"\nclass = "local"\n`, 'routes[0].failover'],
    ['unknown route class', `${TRUNK}${EMERGENCY}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nclass = "cheap"\n`, 'routes[0].class'],
    ['two routes of one name', `${TRUNK}${EMERGENCY}${ROUTE}${ROUTE}`, 'routes[1].name'],
    ['two trunks of one name', `${TRUNK}${TRUNK}${EMERGENCY}`, 'trunks[1].name'],
    ['registrar with a bad port', '[[trunks]]\nname = "p"\nregistrar = "x.example:99999"\nusername = "u"\npassword = "p"\n[emergency]\ntrunk = "p"\n', 'trunks[0].registrar'],
    ['registrar with a URI scheme', '[[trunks]]\nname = "p"\nregistrar = "sip:x.example"\nusername = "u"\npassword = "p"\n[emergency]\ntrunk = "p"\n', 'trunks[0].registrar'],
    ['unknown transport', `${TRUNK}transport = "sctp"\n${EMERGENCY}`, 'trunks[0].transport'],
    ['a transport the appliance does not listen on', `[sip]\ntransports = ["udp"]\n${TRUNK}transport = "tcp"\n${EMERGENCY}`, 'trunks[0].transport'],
    ['unknown trunk key', `${TRUNK}proxy = "x"\n${EMERGENCY}`, 'trunks[0].proxy'],
    ['password with a line break (header injection)', `[[trunks]]\nname = "p"\nregistrar = "x.example"\nusername = "u"\npassword = "a\\r\\nVia: x"\n${EMERGENCY}`, 'trunks[0].password'],
    ['username with a space', `[[trunks]]\nname = "p"\nregistrar = "x.example"\nusername = "a b"\npassword = "p"\n${EMERGENCY}`, 'trunks[0].username'],
    ['inbound did neither E.164 nor a valid pattern', `${TRUNK}${EMERGENCY}[[inbound]]\ndid = "(("\ntrunk = "provider"\nto = "201"\n`, 'inbound[0].did'],
    ['inbound did: digits without +', `${TRUNK}${EMERGENCY}[[inbound]]\ndid = "15551230100"\ntrunk = "provider"\nto = "201"\n`, 'inbound[0].did'],
    ['inbound naming an unknown trunk', `${TRUNK}${EMERGENCY}[[inbound]]\ndid = "*"\ntrunk = "x"\nto = "201"\n`, 'inbound[0].trunk'],
    ['inbound to: not an extension', `${TRUNK}${EMERGENCY}[[inbound]]\ndid = "*"\ntrunk = "provider"\nto = "reception"\n`, 'inbound[0].to'],
    ['trunks without [emergency] trunk', TRUNK, 'emergency.trunk'],
    ['[emergency] trunk naming no trunk', `${TRUNK}[emergency]\ntrunk = "other"\n`, 'emergency.trunk'],
    ['[emergency] trunk without trunks', '[emergency]\ntrunk = "provider"\n', 'emergency.trunk'],
    ['routes without any trunk', ROUTE, 'routes[0].trunk'],
    ['a route pattern with nested repetition (catastrophic backtracking)', `${TRUNK}${EMERGENCY}[[routes]]\nname = "r"\npattern = "^(9+)+$"\ntrunk = "provider"\nclass = "local"\n`, 'routes[0].pattern'],
    ['an inbound did pattern with repeated alternation', `${TRUNK}${EMERGENCY}[[inbound]]\ndid = "^(1|11)*$"\ntrunk = "provider"\nto = "201"\n`, 'inbound[0].did'],
    ['failover list naming its own trunk', `${TWO}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = ["backup", "provider"]\nclass = "local"\n`, 'routes[0].failover'],
    ['failover list naming a trunk twice', `${TWO}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = ["backup", "backup"]\nclass = "local"\n`, 'routes[0].failover'],
    ['failover list naming an unknown trunk', `${TWO}[[routes]]\nname = "r"\npattern = "^1$"\ntrunk = "provider"\nfailover = ["backup", "nope"]\nclass = "local"\n`, 'routes[0].failover[1]'],
  ];
  for (const [what, text, key] of cases) test(`${what} → ${key}`, () => expect(keyOf(text)).toBe(key));
});

describe('trunk config: tls_ca, the CAs of a provider with a private CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trunk-ca-'));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.pem'), pem);
  writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const tls = (extra: string, transport = 'tls') => `[sip]\ntransports = ["udp", "tls"]\n[[trunks]]\nname = "provider"\nregistrar = "sip.provider.example"\ntransport = "${transport}"\nusername = "u"\npassword = "p"\n${extra}${EMERGENCY}`;
  test('read once at the edge: the file name and its PEM text', () => {
    const c = parse(tls(`tls_ca = "${join(dir, 'ca.pem')}"\n`));
    expect(c.trunks[0]).toMatchObject({ transport: 'tls', tlsCaFile: join(dir, 'ca.pem'), tlsCa: pem });
    expect(parse(tls('')).trunks[0]).toMatchObject({ tlsCaFile: undefined, tlsCa: undefined });
  });
  test.each([
    ['on a UDP trunk', tls(`tls_ca = "${join(dir, 'ca.pem')}"\n`, 'udp'), /only for transport = "tls"/],
    ['a relative path', tls('tls_ca = "ca.pem"\n'), /absolute path/],
    ['a file that is not there', tls(`tls_ca = "${join(dir, 'missing.pem')}"\n`), /cannot be read \(ENOENT\)/],
    ['a file without a certificate (a key)', tls(`tls_ca = "${join(dir, 'key.pem')}"\n`), /holds no PEM certificate/],
  ])('refused, naming trunks[0].tls_ca: %s', (_what, text, why) => {
    expect(keyOf(text)).toBe('trunks[0].tls_ca');
    expect(() => parse(text)).toThrow(why);
  });
  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
