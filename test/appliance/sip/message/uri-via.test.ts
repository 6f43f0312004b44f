import { isIP } from 'node:net';
import { describe, expect, test } from 'bun:test';
import { defaultPort, hasSipScheme, isIpv6Reference, loggableUri, parseSipUri, socketHost, unbracketedIpv6Hosts, uriHost, uriScheme, uriTransport } from '../../../../appliance/sip/message/uri.ts';
import { parseViaValue, responseTarget, rfc3261Branch, splitCommas } from '../../../../appliance/sip/message/via.ts';

/** SIP URIs (RFC 3261 §19.1, RFC 5118) and Via values (RFC 3261 §20.42, RFC 3581). */
describe('parseSipUri', () => {
  const rows: [string, object | undefined][] = [
    ['sip:201@office.lan', { schema: 'sip', user: '201', host: 'office.lan', port: undefined, params: {}, headers: {} }],
    ['sips:alice:secret@Example.COM:5061', { schema: 'sips', user: 'alice', password: 'secret', host: 'Example.COM', port: 5061 }],
    ['sip:office.lan', { user: undefined, host: 'office.lan' }],
    ['sip:192.0.2.4:5070;transport=TCP;lr', { host: '192.0.2.4', port: 5070, params: { transport: 'TCP', lr: null } }],
    ['sip:201@[2001:db8::21]:5062', { host: '[2001:db8::21]', port: 5062 }],
    ['sip:[::ffff:192.0.2.1]', { host: '[::ffff:192.0.2.1]', port: undefined }],
    // RFC 5118 §4.3: the port is inside the brackets, so it is part of the address.
    ['sip:[2001:db8::10:5070]', { host: '[2001:db8::10:5070]', port: undefined }],
    ['sip:user;par=u%40example.net@example.com', { user: 'user;par=u%40example.net', host: 'example.com' }],
    ['sip:a@b.example;Maddr=10.0.0.1?Subject=hi&Priority=urgent', { params: { maddr: '10.0.0.1' }, headers: { Subject: 'hi', Priority: 'urgent' } }],
    ['sip:a@b.example;a=1;;b', { params: { a: '1', b: null } }],
    // RFC 3261 §19.1.4: the scheme is case-insensitive; it comes back lower-cased.
    ['SIP:201@Office.LAN', { schema: 'sip', user: '201', host: 'Office.LAN' }],
    ['SiPs:201@office.lan', { schema: 'sips', user: '201' }],
    // Rejected.
    ['sip:2001:db8::10', undefined], // RFC 5118 §4.2: IPv6 needs brackets
    ['sip:user@[2001:db8:::192.0.2.1]', undefined], // RFC 5118 §4.10
    ['sip:[192.0.2.1]', undefined],
    ['sip:a@b.example:0', undefined],
    ['sip:a@b.example:65536', undefined],
    ['sip:a b@example.com', undefined],
    ['<sip:a@example.com>', undefined],
    ['tel:+15551234567', undefined],
    ['sip:', undefined],
    ['sipx:a@b.example', undefined],
  ];
  for (const [text, expected] of rows) {
    test(`${text} → ${expected ? 'parsed' : 'rejected'}`, () => {
      const uri = parseSipUri(text);
      if (expected === undefined) expect(uri).toBeUndefined();
      else expect(uri).toMatchObject(expected);
    });
  }

  // sips: and transport=tls are reached over TLS only (RFC 5630), default port 5061 (RFC 3263 §4.2).
  const derived: [string, number, 'udp' | 'tcp' | 'tls'][] = [
    ['sip:a@b.example', 5060, 'udp'],
    ['sips:a@b.example', 5061, 'tls'],
    ['sip:a@b.example:5080;transport=TCP', 5080, 'tcp'],
    ['sip:a@b.example;transport=tls', 5061, 'tls'],
    ['sips:a@b.example:5071;transport=tcp', 5071, 'tls'],
    ['sip:a@b.example;transport=sctp', 5060, 'udp'],
  ];
  for (const [text, port, transport] of derived) {
    test(`${text}: default port ${port} (RFC 3261 §19.1.2), transport ${transport}`, () => {
      const uri = parseSipUri(text)!;
      expect(defaultPort(uri)).toBe(port);
      expect(uriTransport(uri)).toBe(transport);
    });
  }
});

describe('uriScheme, socketHost, uriHost', () => {
  const schemes: [string, string | undefined][] = [
    ['sip:a@b', 'sip'], ['SIPS:a@b', 'sips'], ['tel:+1555', 'tel'], ['soap.beep://192.0.2.103:3002', 'soap.beep'],
    ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme'], ['isbn:2983792873', 'isbn'],
    ['<sip:a@b>', undefined], ['1sip:a', undefined], ['a@b', undefined], ['', undefined],
  ];
  for (const [text, scheme] of schemes) test(`uriScheme(${JSON.stringify(text)}) = ${scheme} (RFC 3261 §25.1)`, () => expect(uriScheme(text)).toBe(scheme));

  test('IPv6 brackets on and off', () => {
    expect(socketHost('[2001:db8::1]')).toBe('2001:db8::1');
    expect(socketHost('192.0.2.1')).toBe('192.0.2.1');
    expect(uriHost('2001:db8::1')).toBe('[2001:db8::1]');
    expect(uriHost('192.0.2.1')).toBe('192.0.2.1');
    expect(uriHost('office.lan')).toBe('office.lan');
  });
});

describe('parseViaValue', () => {
  const rows: [string, object | undefined][] = [
    ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds', { version: '2.0', protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: 'z9hG4bK776asdhds' } }],
    ['SIP / 2.0 / tcp  pc33.office.lan ; branch = z9hG4bKx ; rport', { protocol: 'TCP', host: 'pc33.office.lan', port: undefined, params: { branch: 'z9hG4bKx', rport: null } }],
    ['SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3', { host: '[2001:db8::9:1]', port: 6050, params: { received: '[2001:db8::9:255]' } }],
    ['SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255', { params: { received: '2001:db8::9:255' } }],
    ['SIP/2.0/UDP 10.0.0.1;rport=40000;received=203.0.113.9', { params: { rport: '40000', received: '203.0.113.9' } }],
    ['SIP/2.0/UDP 10.0.0.1;Branch=z9hG4bKA', { params: { branch: 'z9hG4bKA' } }],
    ['SIP/2.0/UDP 10.0.0.1;x="quoted value"', { params: { x: '"quoted value"' } }],
    // Rejected.
    ['SIP/2.0/UDP 192.0.2.15;;', undefined],
    ['SIP/2.0/UDP [192.0.2.1]', undefined],
    ['SIP/2.0/UDP 2001:db8::1', undefined],
    ['SIP/2.0 192.0.2.1', undefined],
    ['SIP/2.0/UDP', undefined],
    ['SIP/2.0/UDP 192.0.2.1;branch=a b', undefined],
    ['SIP/2.0/UDP 192.0.2.1:123456', undefined],
  ];
  for (const [text, expected] of rows) {
    test(`${text} → ${expected ? 'parsed' : 'rejected'}`, () => {
      const via = parseViaValue(text);
      if (expected === undefined) expect(via).toBeUndefined();
      else expect(via).toMatchObject(expected);
    });
  }
});

describe('responseTarget (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const rows: [string, { address: string; port: number }][] = [
    ['SIP/2.0/UDP 192.0.2.1', { address: '192.0.2.1', port: 5060 }],
    ['SIP/2.0/UDP 192.0.2.1:5062', { address: '192.0.2.1', port: 5062 }],
    ['SIP/2.0/UDP 10.0.0.1:5062;received=203.0.113.9', { address: '203.0.113.9', port: 5062 }],
    ['SIP/2.0/UDP 10.0.0.1:5062;received=203.0.113.9;rport=40000', { address: '203.0.113.9', port: 40000 }],
    // rport without a value: the server never filled it in; use the sent-by port.
    ['SIP/2.0/UDP 10.0.0.1:5062;rport', { address: '10.0.0.1', port: 5062 }],
    ['SIP/2.0/UDP [2001:db8::1]:5070', { address: '2001:db8::1', port: 5070 }],
    ['SIP/2.0/UDP [2001:db8::1];received=[2001:db8::99];rport=6000', { address: '2001:db8::99', port: 6000 }],
    ['SIP/2.0/UDP [2001:db8::1];received=2001:db8::99', { address: '2001:db8::99', port: 5060 }],
  ];
  for (const [text, target] of rows) test(text, () => expect(responseTarget(parseViaValue(text)!)).toEqual(target));
});

describe('rfc3261Branch (RFC 3261 §8.1.1.7, §17.2.3)', () => {
  const rows: [string, string | undefined][] = [
    ['SIP/2.0/UDP h;branch=z9hG4bK776', 'z9hG4bK776'],
    ['SIP/2.0/UDP h;branch=z9hG4bK', undefined], // RFC 4475 §3.2.1
    ['SIP/2.0/UDP h;branch=776asdhds', undefined],
    ['SIP/2.0/UDP h', undefined],
  ];
  for (const [text, branch] of rows) test(text, () => expect(rfc3261Branch(parseViaValue(text)!)).toBe(branch));
});

describe('splitCommas', () => {
  const rows: [string, string[]][] = [
    ['<sip:a@b>, <sip:c@d>', ['<sip:a@b>', '<sip:c@d>']],
    ['"Doe, John" <sip:j@d>;q=0.5, sip:x@y', ['"Doe, John" <sip:j@d>;q=0.5', 'sip:x@y']],
    ['<sip:a@b;x=1,2>, <sip:c@d>', ['<sip:a@b;x=1,2>', '<sip:c@d>']],
    ['"say \\"hi, there\\"" <sip:a@b>', ['"say \\"hi, there\\"" <sip:a@b>']],
    ['SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1,SIP/2.0/UDP 10.0.0.1', ['SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1', 'SIP/2.0/UDP 10.0.0.1']],
    [' , ,', []],
    ['', []],
  ];
  for (const [text, parts] of rows) test(JSON.stringify(text), () => expect(splitCommas(text)).toEqual(parts));
});

describe('loggableUri: no password from a URI in a log line', () => {
  test.each([
    ['sips:alice:secret@Example.COM:5061', 'sips:alice:***@Example.COM:5061'],
    ['SIP:bob:p%40ss@office.lan', 'SIP:bob:***@office.lan'],
    ['sip:201@office.lan', 'sip:201@office.lan'],
    ['sip:201@[2001:db8::1]:5060', 'sip:201@[2001:db8::1]:5060'],
    ['sip:[2001:db8::21]:5062', 'sip:[2001:db8::21]:5062'],
    ['sip:office.lan:5060;x=a@b', 'sip:office.lan:5060;x=a@b'],
    ['tel:+15551230000', 'tel:+15551230000'],
  ])('%p → %p', (uri, logged) => expect(loggableUri(uri)).toBe(logged));
});

describe('isIpv6Reference (RFC 3261 §25.1 IPv6reference, RFC 5118 §4)', () => {
  const rows: [string, boolean][] = [
    ['[2001:db8::1]', true], ['[::1]', true], ['[::ffff:192.0.2.1]', true], ['[2001:DB8::A]', true],
    ['[192.0.2.1]', false], ['[2001:db8:::1]', false], ['[]', false], ['[::1', false], ['::1', false], ['office.lan', false], ['[fe80::1%eth0]', true],
  ];
  test.each(rows)('%p → %p', (host, want) => expect(isIpv6Reference(host)).toBe(want));
});

/**
 * sipp's bare IPv6 digest uri (authenticator.ts namesUs). It was a regex of the authenticator's
 * own; `before` is that function (authenticator.ts at 9bfd7b3), kept here to compare. The one
 * difference: the scheme in any case, as the grammar reads it (RFC 3261 §19.1.4).
 */
describe('unbracketedIpv6Hosts', () => {
  const before = (uri: string): string[] => {
    const m = /^sips?:([0-9A-Fa-f:.]+)$/.exec(uri);
    if (!m) return [];
    const rest = m[1];
    const last = rest.lastIndexOf(':');
    const withPort = /^\d{1,5}$/.test(rest.slice(last + 1)) ? rest.slice(0, last) : '';
    return [rest, withPort].filter((h) => isIP(h) === 6);
  };
  const rows: [uri: string, hosts: string[], before: 'same' | string[]][] = [
    ['sip:::1:5060', ['::1:5060', '::1'], 'same'], // sipp 3.6 against [::1]:5060: both readings
    ['sip:2001:db8::1:5060', ['2001:db8::1:5060', '2001:db8::1'], 'same'],
    ['sip:2001:db8::1', ['2001:db8::1'], 'same'],
    ['sips:2001:DB8::A:5061', ['2001:DB8::A:5061', '2001:DB8::A'], 'same'],
    ['sip:::ffff:192.0.2.1:5060', ['::ffff:192.0.2.1'], 'same'],
    ['SIP:::1:5060', ['::1:5060', '::1'], []],
    ['Sips:2001:db8::1', ['2001:db8::1'], []],
    ['sip:[::1]:5060', [], 'same'], // bracketed: parseSipUri reads it
    ['sip:192.0.2.1:5060', [], 'same'],
    ['sip:201@2001:db8::1:5060', [], 'same'],
    ['sip:::1:5060;transport=udp', [], 'same'],
    ['sip:fe80::1%eth0', [], 'same'],
    ['sip:fe80::1%eth0:5060', [], 'same'],
    ['sip:', [], 'same'],
    ['tel:::1', [], 'same'],
    ['sip: ::1', [], 'same'],
    ['sip:::1 ', [], 'same'],
  ];
  test.each(rows)('%p → %p (before: %p)', (uri, hosts, was) => {
    expect(unbracketedIpv6Hosts(uri)).toEqual(hosts);
    expect(before(uri)).toEqual(was === 'same' ? hosts : was);
  });
});

// The registrar stage's 400-or-416 choice read `/^sips?:/i` (registrar.ts at 9bfd7b3): the same answers.
describe('hasSipScheme', () => {
  const rows: [string, boolean][] = [
    ['sip:201@h', true], ['SIPS:201@h', true], ['Sip:', true], ['sips:[::1', true], ['sip:a b@h', true],
    ['tel:+4930123', false], ['sipx:201@h', false], ['sip+x:a', false], [' sip:201@h', false], ['<sip:201@h>', false], ['sip', false], ['', false],
  ];
  test.each(rows)('%p → %p', (text, want) => {
    expect(hasSipScheme(text)).toBe(want);
    expect(/^sips?:/i.test(text)).toBe(want);
  });
});
