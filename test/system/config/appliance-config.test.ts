import { describe, expect, test } from 'bun:test';
import { inCidrList, parseCidr, parseConfig, POLICY_KEYS, PRIVATE_RANGES, RENAMED_CONTROL_KEYS } from '../../../system/config/index.ts';
import { ConfigError } from '../../../system/errors/index.ts';

/** parseConfig: TOML text → typed config, every error naming its key. */
const parse = (text: string) => parseConfig(text, 'test.toml', '/srv/appliance');
function errorOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

describe('parseConfig: defaults', () => {
  test('empty file: embedded defaults, data_dir resolved against the file\'s directory', () => {
    const c = parse('');
    expect(c.dataDir).toBe('/srv/appliance/data');
    expect(c.source).toBe('test.toml');
    expect(c.sip).toMatchObject({
      listen: '0.0.0.0', port: 5060, domain: 'office.lan', transports: ['udp', 'tcp'], trusted: [], mode: 'proxy',
      minExpires: 60, maxExpires: 7200, defaultExpires: 3600, nonceLifetime: 300, authAlgorithms: ['MD5'],
    });
    expect(c.dns).toMatchObject({ enabled: true, port: 5300, zone: 'office.lan', enumSuffix: 'e164.arpa', forwarders: [], ttl: 60 });
    expect(c.dns.allow.map((x) => x.text)).toEqual(PRIVATE_RANGES.map((x) => x.text));
    expect(c.web).toEqual({ listen: '127.0.0.1', port: 8080, https: true, httpRedirectPort: 0, hosts: [], peerPort: 8081, setupTokenMinutes: 30 });
    expect(c.peers).toEqual([]);
  });
  test('advertise follows a specific listen address', () => expect(parse('[sip]\nlisten = "192.168.1.10"').sip.advertise).toBe('192.168.1.10'));
  test('absolute data_dir kept; domain lower-cased without trailing dot', () => {
    const c = parse('data_dir = "/var/lib/appliance"\n[sip]\ndomain = "Office.LAN."');
    expect(c.dataDir).toBe('/var/lib/appliance');
    expect(c.sip.domain).toBe('office.lan');
  });
  test('auth_algorithms order kept, duplicates dropped', () => {
    expect(parse('[sip]\nauth_algorithms = ["SHA-256", "MD5", "SHA-256"]').sip.authAlgorithms).toEqual(['SHA-256', 'MD5']);
  });
  test('trusted CIDRs parsed', () => {
    const c = parse('[sip]\ntrusted = ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]');
    expect(c.sip.trusted.map((t) => [t.text, t.family, t.prefix])).toEqual([['192.0.2.0/24', 4, 24], ['2001:db8::/32', 6, 32], ['198.51.100.7', 4, 32]]);
  });
  test('a peer', () => {
    const c = parse('[[peers]]\nname = "branch-2"\nurl = "https://10.2.0.1:8080"\nsip = "10.2.0.1:5060"\nsecret = "0123456789abcdef"');
    expect(c.peers).toEqual([{ name: 'branch-2', url: 'https://10.2.0.1:8080', sip: '10.2.0.1:5060', secret: '0123456789abcdef' }]);
  });
  test("a peer with its SIP-over-TLS address (sip_tls: the hop to a TLS phone it holds)", () => {
    const c = parse('[[peers]]\nname = "branch-2"\nurl = "https://10.2.0.1:8080"\nsip = "10.2.0.1:5060"\nsip_tls = "10.2.0.1:5061"\nsecret = "0123456789abcdef"');
    expect(c.peers).toEqual([{ name: 'branch-2', url: 'https://10.2.0.1:8080', sip: '10.2.0.1:5060', sipTls: '10.2.0.1:5061', secret: '0123456789abcdef' }]);
  });
});

describe('parseConfig: errors name the key', () => {
  const PEER = 'name = "b2"\nurl = "https://10.2.0.1"\nsip = "10.2.0.1:5060"\nsecret = "0123456789abcdef"';
  const rows: [string, string, string, RegExp][] = [
    ['not TOML', 'data_dir = ', '(file)', /not valid TOML/],
    ['unknown top-level key', 'colour = "blue"', 'colour', /unknown key/],
    ['unknown key in [sip]', '[sip]\nprot = 5060', 'sip.prot', /unknown key/],
    ['unknown key in [[peers]]', `[[peers]]\n${PEER}\npasword = "x"`, 'peers[0].pasword', /unknown key/],
    ['second peer broken', `[[peers]]\n${PEER}\n[[peers]]\n${PEER.replace('0123456789abcdef', 'short')}`, 'peers[1].secret', /at least 16 characters/],
    ['peer missing a field', '[[peers]]\nname = "b2"', 'peers[0].url', /is required/],
    ['peer sip_tls without a port', `[[peers]]\n${PEER}\nsip_tls = "10.2.0.1"`, 'peers[0].sip_tls', /host:port/],
    ['port as a string', '[sip]\nport = "5060"', 'sip.port', /expected an integer in 0\.\.65535/],
    ['port 65536', '[sip]\nport = 65536', 'sip.port', /0\.\.65535/],
    ['negative port', '[web]\nport = -1', 'web.port', /0\.\.65535/],
    ['fractional ttl', '[dns]\nttl = 1.5', 'dns.ttl', /integer/],
    ['enabled as a string', '[dns]\nenabled = "yes"', 'dns.enabled', /true or false/],
    ['[sip] as a value', 'sip = 5', 'sip', /expected a table/],
    ['listen not an address', '[sip]\nlisten = "eth0"', 'sip.listen', /an IP address/],
    ['bad domain', '[sip]\ndomain = "office_lan"', 'sip.domain', /valid domain name/],
    ['empty transports', '[sip]\ntransports = []', 'sip.transports', /at least one/],
    ['unknown transport', '[sip]\ntransports = ["udp", "sctp"]', 'sip.transports[1]', /"udp", "tcp"/],
    ['bad mode', '[sip]\nmode = "b2bua"', 'sip.mode', /"proxy", "redirect"/],
    ['min_expires > max_expires', '[sip]\nmin_expires = 600\nmax_expires = 300\ndefault_expires = 300', 'sip.min_expires', /larger than sip\.max_expires/],
    ['default_expires outside min..max', '[sip]\ndefault_expires = 30', 'sip.default_expires', /between/],
    ["min_expires 0", "[sip]\nmin_expires = 0", "sip.min_expires", /1\.\.3600/],
    ['trusted CIDR prefix too long', '[sip]\ntrusted = ["10.0.0.0/33"]', 'sip.trusted[0]', /address or address\/prefix/],
    ['trusted host name', '[sip]\ntrusted = ["gw.office.lan"]', 'sip.trusted[0]', /address or address\/prefix/],
    ['trusted not a list', '[sip]\ntrusted = "10.0.0.0/8"', 'sip.trusted', /expected a list/],
    ['auth_algorithms empty', '[sip]\nauth_algorithms = []', 'sip.auth_algorithms', /at least one/],
    ['auth_algorithms unknown', '[sip]\nauth_algorithms = ["SHA-512-256"]', 'sip.auth_algorithms[0]', /"MD5", "SHA-256"/],
    ['auth_algorithms lower case', '[sip]\nauth_algorithms = ["md5"]', 'sip.auth_algorithms[0]', /"MD5"/],
    ['heartbeat_seconds not dividing 60 (cron */59 would tick at :59 and :00)', '[control]\nheartbeat_seconds = 59', 'control.heartbeat_seconds', /does not divide 60/],
    ['heartbeat_seconds 0', '[control]\nheartbeat_seconds = 0', 'control.heartbeat_seconds', /1\.\.60/],
    ['nonce_lifetime too short', '[sip]\nnonce_lifetime = 5', 'sip.nonce_lifetime', /10\.\.86400/],
    ['emergency numbers empty', '[emergency]\nnumbers = []', 'emergency.numbers', /at least one/],
    ['emergency number with letters', '[emergency]\nnumbers = ["9l1"]', 'emergency.numbers[0]', /dialled number/],
    ['emergency unknown key', '[emergency]\ntrunks = "x"', 'emergency.trunks', /unknown/],
    ['overload calm not below shed', '[overload]\nshed_lag_ms = 20\ncalm_lag_ms = 20', 'overload.calm_lag_ms', /below overload\.shed_lag_ms/],
    ['overload lag too small', '[overload]\nshed_lag_ms = 1', 'overload.shed_lag_ms', /5\.\.10000/],
    ['forwarder with a name', '[dns]\nforwarders = ["dns.google"]', 'dns.forwarders[0]', /address or address#port/],
    ['min_workers > max_workers', '[control]\nmin_workers = 4\nmax_workers = 2', 'control.min_workers', /larger than/],
    ['bad cron', '[control]\nsample_schedule = "often"', 'control.sample_schedule', /cron/],
    ['cron with six fields out of range (node-cron checks it, not a pattern)', '[control]\nsample_schedule = "99 * * * * *"', 'control.sample_schedule', /invalid schedule expression/],
    ['policy samples above their window', '[control]\nscale_out_samples = 6\nscale_out_window = 5', 'control.scale_out_samples', /larger than control\.scale_out_window/],
    ['shed relax samples above their window', '[control]\nshed_relax_samples = 9\nshed_relax_window = 4', 'control.shed_relax_samples', /could never fire/],
    ['shed_min_cut out of range', '[control]\nshed_min_cut = 0.95', 'control.shed_min_cut', /0\.01\.\.0\.9/],
    ['policy key not a number', '[control]\nshed_relax_step = "a bit"', 'control.shed_relax_step', /number/],
    ['empty data_dir', 'data_dir = ""', 'data_dir', /non-empty string/],
    ['shed_queue_kb negative', '[overload]\nshed_queue_kb = -1', 'overload.shed_queue_kb', /0|integer|between/],
    ['spread not a boolean', '[overload]\nspread = "yes"', 'overload.spread', /true or false|boolean/],
  ];
  test('[emergency] and [overload] defaults', () => {
    const c = parse('');
    expect(c.emergency.numbers).toEqual(['911', '112']);
    expect(c.overload).toEqual({ shedLagMs: 100, calmLagMs: 20, shedOpenPercent: 80, retryAfter: 5, minRate: 100, shedQueueBytes: 128 * 1024, spread: true });
    expect(parse('[overload]\nspread = false').overload.spread).toBe(false);
    expect(parse('[overload]\nshed_queue_kb = 0').overload.shedQueueBytes).toBe(0);
  });
  for (const [name, text, key, message] of rows) {
    test(`${name} → ${key}`, () => {
      const e = errorOf(text);
      expect(e.key).toBe(key);
      expect(e.code).toBe('config-invalid');
      expect(e.message).toStartWith(`config: ${key}: `);
      expect(e.message).toMatch(message);
    });
  }
});

describe('parseConfig: the [control] keys renamed from *_elu to *_cpu_share (issue 13 item 9)', () => {
  // An admin's file from before the rename fails to load, naming the old key and the new one.
  const rows: [string, string, number][] = [
    ['scale_out_elu', 'scale_out_cpu_share', 0.8],
    ['scale_in_elu', 'scale_in_cpu_share', 0.2],
    ['host_cpu_elu', 'host_cpu_cpu_share', 0.4],
    ['shed_target_elu', 'shed_target_cpu_share', 0.65],
    ['shed_relax_elu', 'shed_relax_cpu_share', 0.55],
  ];
  for (const [old, now, value] of rows) {
    test(`${old} → fails naming control.${now}`, () => {
      const e = errorOf(`[control]\n${old} = ${value}`);
      expect(e.key).toBe(`control.${old}`);
      expect(e.code).toBe('config-invalid');
      expect(e.message).toBe(`config: control.${old}: was renamed: write control.${now} instead (same meaning, same value)`);
    });
    test(`${now} = ${value} is read`, () => {
      const camel = now.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof ReturnType<typeof parse>['control']['policy'];
      expect(parse(`[control]\n${now} = ${value}`).control.policy[camel]).toBe(value);
    });
  }
  test('every renamed key names a policy key, and no policy key is still spelt _elu', () => {
    expect(Object.values(RENAMED_CONTROL_KEYS).every((k) => k in POLICY_KEYS)).toBe(true);
    expect(Object.keys(POLICY_KEYS).filter((k) => /elu/.test(k))).toEqual([]);
    expect(Object.keys(RENAMED_CONTROL_KEYS).sort()).toEqual(rows.map(([old]) => old).sort());
  });
});

describe('parseCidr and inCidrList', () => {
  const list = ['10.0.0.0/8', '192.168.1.0/24', '198.51.100.7', '2001:db8:abcd::/48', '::1/128', '::ffff:0:0/96'].map((t) => parseCidr(t)!);
  const rows: [string, boolean][] = [
    ['10.1.2.3', true], ['11.0.0.1', false], ['192.168.1.255', true], ['192.168.2.1', false],
    ['198.51.100.7', true], ['198.51.100.8', false],
    ['2001:db8:abcd:12::1', true], ['2001:db8:abce::1', false], ['::1', true], ['::2', false],
    ['::ffff:10.9.8.7', true], // IPv4-mapped (RFC 4291 §2.5.5.2) matches the IPv4 range
    ['::ffff:172.16.0.1', false],
    ['2001:db8:abcd::192.0.2.1', true], // dotted tail
    ['not-an-ip', false], ['', false],
  ];
  for (const [addr, inside] of rows) test(`${addr || '(empty)'} → ${inside}`, () => expect(inCidrList(addr, list)).toBe(inside));

  test('empty list matches nothing', () => expect(inCidrList('10.0.0.1', [])).toBe(false));
  test('/0 matches its whole family only', () => {
    expect(inCidrList('203.0.113.1', [parseCidr('0.0.0.0/0')!])).toBe(true);
    expect(inCidrList('2001:db8::1', [parseCidr('0.0.0.0/0')!])).toBe(false);
    expect(inCidrList('2001:db8::1', [parseCidr('::/0')!])).toBe(true);
  });
  const bad = ['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/8x', '10.0.0/8', 'office.lan', ''];
  for (const text of bad) test(`parseCidr(${JSON.stringify(text)}) rejects`, () => expect(parseCidr(text)).toBeUndefined());
  test('private ranges (RFC 1918, RFC 4193, link-local)', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '::1', 'fd00::1', 'fe80::1']) expect(inCidrList(a, PRIVATE_RANGES)).toBe(true);
    for (const a of ['172.32.0.1', '8.8.8.8', '2001:db8::1', 'fec0::1']) expect(inCidrList(a, PRIVATE_RANGES)).toBe(false);
  });
});
