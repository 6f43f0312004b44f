import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { Decoded, SipRequest, SipResponse } from '../../../../appliance/sip/message/types.ts';

/**
 * decodeMessage on the appliance's own fixtures (test/fixtures/sip, CRLF, captured-style phone
 * traffic) and on one-line mutations of them. Each row names the RFC rule it checks.
 */
const FIXTURES = join(import.meta.dir, '../../../fixtures/sip');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'latin1');
const REGISTER = fixture('register-compact.sip');
const INVITE = fixture('invite-routed.sip');
const RINGING = fixture('ringing-180.sip');

const req = (d: Decoded): SipRequest => {
  if (d.kind !== 'request') throw new Error(`expected a request, got ${JSON.stringify(d).slice(0, 200)}`);
  return d.msg;
};
const res = (d: Decoded): SipResponse => {
  if (d.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(d).slice(0, 200)}`);
  return d.msg;
};
const outcome = (d: Decoded) => (d.kind === 'bad-request' ? d.status : d.kind);

/** Replaces one header line (matched by its start) in a fixture; fails loudly when absent. */
function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`fixture has no "${from}"`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

describe('decodeMessage: fixtures', () => {
  test('REGISTER in compact form (RFC 3261 §7.3.3: v m t f i l)', () => {
    const m = req(decodeMessage(Buffer.from(REGISTER, 'latin1')));
    expect(m.method).toBe('REGISTER');
    expect(m.headers.via).toEqual([{
      version: '2.0', protocol: 'UDP', host: '192.168.1.21', port: 5062,
      params: { rport: null, branch: 'z9hG4bK-524287-1---77ba4f4ab5e10a0c' },
    }]);
    expect(m.headers.to.uri).toBe('sip:201@office.lan');
    expect(m.headers.from).toMatchObject({ name: '"Reception"', uri: 'sip:201@office.lan', params: { tag: 'a73kszlfl' } });
    expect(m.headers['call-id']).toBe('843817637684230@192.168.1.21');
    expect(m.headers.contact).toEqual([{
      uri: 'sip:201@192.168.1.21:5062;transport=udp',
      params: { expires: '3600', '+sip.instance': '"<urn:uuid:00000000-0000-1000-8000-00a0c9000201>"' },
    }]);
    expect(m.content).toBe('');
  });

  test('INVITE: Via with IPv6 sent-by, received and rport (RFC 5118 §4.5, RFC 3581 §4)', () => {
    const m = req(decodeMessage(INVITE));
    expect(m.headers.via[1]).toEqual({
      version: '2.0', protocol: 'UDP', host: '[2001:db8::21]', port: 5062,
      params: { received: '2001:db8::99', rport: '40000', branch: 'z9hG4bK-uac-1' },
    });
  });

  test('INVITE: Route and Record-Route as name-addr lists, URIs kept whole (RFC 3261 §20.30, §20.34)', () => {
    const m = req(decodeMessage(INVITE));
    expect(m.headers.route).toEqual([{ name: undefined, uri: 'sip:192.168.1.22;lr', params: {} }]);
    expect(m.headers['record-route']).toEqual([
      { name: undefined, uri: 'sip:192.168.1.10;lr', params: {} },
      { name: '"Edge"', uri: 'sip:edge.office.lan;lr;transport=tcp', params: {} },
    ]);
  });

  test('INVITE: body is exactly Content-Length bytes (RFC 3261 §20.14)', () => {
    const m = req(decodeMessage(INVITE));
    expect(m.content).toHaveLength(135);
    expect(m.content).toStartWith('v=0\r\n');
    expect(m.content).toEndWith('telephone-event/8000\r\n');
  });

  test('180 response with Record-Route', () => {
    const m = res(decodeMessage(RINGING));
    expect([m.status, m.reason]).toEqual([180, 'Ringing']);
    expect(m.headers.via.map((v) => v.params.branch)).toEqual(['z9hG4bK-proxy-1', 'z9hG4bK-uac-1']);
    expect(m.headers['record-route']).toEqual([{ name: undefined, uri: 'sip:192.168.1.10;lr', params: {} }]);
  });
});

describe('decodeMessage: keep-alives and framing', () => {
  const rows: [string, string | Buffer, ReturnType<typeof outcome>, boolean?][] = [
    ['CRLF keep-alive (RFC 5626 §4.4.1)', '\r\n', 'drop'],
    ['double-CRLF ping (RFC 5626 §3.5.1)', '\r\n\r\n', 'drop'],
    ['empty datagram', '', 'drop'],
    ['CRLFs before a request are ignored (RFC 3261 §7.5)', `\r\n\r\n${REGISTER}`, 'request'],
    ['headers never end', REGISTER.slice(0, 100), 'drop'],
    ['UDP Content-Length larger than the datagram: 400 (RFC 3261 §18.3)', edit(INVITE, 'Content-Length: 135', 'Content-Length: 136'), 400],
    ['stream: the framer already checked the length', edit(INVITE, 'Content-Length: 135', 'Content-Length: 136'), 'request', true],
    ['Content-Length not a number', edit(INVITE, 'Content-Length: 135', 'Content-Length: 13a'), 400],
    ['negative Content-Length (RFC 4475 §3.1.2.3)', edit(INVITE, 'Content-Length: 135', 'Content-Length: -1'), 400],
    ['two Content-Length headers (RFC 4475 §3.3.9)', edit(INVITE, 'Content-Length: 135', 'Content-Length: 135\r\nl: 135'), 400],
  ];
  for (const [name, input, expected, stream] of rows) {
    test(`${name} → ${expected}`, () => expect(outcome(decodeMessage(input, stream))).toBe(expected));
  }

  test('UDP: octets past Content-Length are discarded (RFC 3261 §18.3)', () => {
    const m = req(decodeMessage(edit(INVITE, 'Content-Length: 135', 'Content-Length: 4')));
    expect(m.content).toBe('v=0\r');
  });

  test('no Content-Length on UDP: the body runs to the end of the datagram (RFC 3261 §18.3)', () => {
    const m = req(decodeMessage(edit(INVITE, 'Content-Length: 135\r\n', '')));
    expect(m.content).toHaveLength(135);
  });

  test('Buffer and latin1 string give the same result', () => {
    expect(decodeMessage(Buffer.from(INVITE, 'latin1'))).toEqual(decodeMessage(INVITE));
  });
});

describe('decodeMessage: requests that get an error reply', () => {
  const rows: [string, string, number | 'request' | 'drop'][] = [
    ['no Via: nowhere to send a reply', edit(REGISTER, 'v: SIP/2.0/UDP 192.168.1.21:5062;rport;branch=z9hG4bK-524287-1---77ba4f4ab5e10a0c\r\n', ''), 'drop'],
    ['Via with a bracketed non-IPv6 host', edit(REGISTER, 'v: SIP/2.0/UDP 192.168.1.21:5062', 'v: SIP/2.0/UDP [192.168.1.21]:5062'), 'drop'],
    ['SIP/3.0 (RFC 3261 §8.2.2.1 implies 505)', edit(REGISTER, 'REGISTER sip:office.lan SIP/2.0', 'REGISTER sip:office.lan SIP/3.0'), 505],
    ['two Call-IDs (RFC 3261 §7.3.1, RFC 4475 §3.3.8)', edit(REGISTER, 'CSeq:', 'Call-ID: other@x\r\nCSeq:'), 400],
    ['two From headers', edit(REGISTER, 'CSeq:', 'From: <sip:202@office.lan>;tag=2\r\nCSeq:'), 400],
    ['two Expires headers', edit(REGISTER, 'Expires: 3600', 'Expires: 3600\r\nExpires: 60'), 400],
    ['CSeq 2**31 (RFC 3261 §8.1.1.5: below 2**31)', edit(REGISTER, 'CSeq: 1 REGISTER', `CSeq: ${2 ** 31} REGISTER`), 400],
    ['CSeq 2**31-1 is fine', edit(REGISTER, 'CSeq: 1 REGISTER', `CSeq: ${2 ** 31 - 1} REGISTER`), 'request'],
    ['CSeq without a method', edit(REGISTER, 'CSeq: 1 REGISTER', 'CSeq: 1'), 400],
    ['CSeq method of a known method differs (RFC 4475 §3.1.2.17)', edit(REGISTER, 'CSeq: 1 REGISTER', 'CSeq: 1 INVITE'), 400],
    ['unknown method, CSeq differs (RFC 4475 §3.1.2.18: 501)', edit(edit(REGISTER, 'REGISTER sip:', 'FROB sip:'), 'CSeq: 1 REGISTER', 'CSeq: 1 BORF'), 501],
    ['unknown method, matching CSeq: a request for the core to answer 501', edit(edit(REGISTER, 'REGISTER sip:', 'FROB sip:'), 'CSeq: 1 REGISTER', 'CSeq: 1 FROB'), 'request'],
    ['Max-Forwards 256 (RFC 3261 §20.22: 0..255)', edit(REGISTER, 'Max-Forwards: 70', 'Max-Forwards: 256'), 400],
    ['Max-Forwards not a number', edit(REGISTER, 'Max-Forwards: 70', 'Max-Forwards: ten'), 400],
    ['Max-Forwards 0 parses (the proxy answers 483)', edit(REGISTER, 'Max-Forwards: 70', 'Max-Forwards: 0'), 'request'],
    ['no To (RFC 3261 §8.1.1)', edit(REGISTER, 't: <sip:201@office.lan>\r\n', ''), 400],
    ['From without a URI scheme', edit(REGISTER, '<sip:201@office.lan>;tag=a73kszlfl', '<201@office.lan>;tag=a73kszlfl'), 400],
    ['header line without a colon', edit(REGISTER, 'Max-Forwards: 70', 'Max-Forwards 70'), 400],
    ['Request-URI tel: is supported (RFC 3966)', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER tel:+15551234567'), 'request'],
    ['Request-URI sips:', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER sips:office.lan'), 'request'],
    ['Request-URI http: (RFC 3261 §8.2.2.1: 416)', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER http://office.lan/'), 416],
    ['Request-URI without a scheme', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER office.lan'), 400],
    ['Request-URI with a bad port', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER sip:office.lan:70000'), 400],
    ['Request-URI with headers (RFC 4475 §3.1.2.11)', edit(REGISTER, 'REGISTER sip:office.lan', 'REGISTER sip:office.lan?Subject=x'), 400],
    ['Contact addr-spec with ? outside <> (RFC 3261 §20.10)', edit(REGISTER, 'm: <sip:201@192.168.1.21:5062;transport=udp>', 'm: sip:201@192.168.1.21:5062?Subject=x'), 400],
    ['Contact name-addr with ? inside <> and a quoted < in the display name', edit(REGISTER, 'm: <sip:201@192.168.1.21:5062;transport=udp>', 'm: "a<b" <sip:201@192.168.1.21:5062?Subject=x>'), 'request'],
    ['Route that is not a name-addr (RFC 3261 §20.34)', edit(INVITE, 'Route: <sip:192.168.1.22;lr>', 'Route: sip:192.168.1.22;lr'), 400],
    ['Record-Route that is not a name-addr (RFC 3261 §20.30)', edit(INVITE, 'Record-Route: <sip:192.168.1.10;lr>, ', 'Record-Route: sip:192.168.1.10, '), 400],
    ['unterminated quote in From (RFC 4475 §3.1.2.6)', edit(REGISTER, 'f: "Reception"', 'f: "Reception'), 400],
    ['header names are case-insensitive', edit(REGISTER, 'CSeq: 1 REGISTER', 'CSEQ: 1 REGISTER'), 'request'],
  ];
  for (const [name, input, expected] of rows) {
    test(`${name} → ${expected}`, () => {
      const d = decodeMessage(input);
      expect(outcome(d)).toBe(expected);
      // A reply must be routable: the bad request keeps its Via, From, To (RFC 3261 §8.2.6.2).
      if (d.kind === 'bad-request') expect(d.msg.headers.via[0].host).toMatch(/^192\.168\.1\.(21|10)$/);
    });
  }
});

describe('decodeMessage: responses that are dropped (RFC 3261 §18.1.2: discard malformed responses)', () => {
  const rows: [string, string, 'response' | 'drop'][] = [
    ['well formed', RINGING, 'response'],
    ['status 099', edit(RINGING, 'SIP/2.0 180', 'SIP/2.0 099'), 'drop'],
    ['status 700 (RFC 4475 §3.1.2.19)', edit(RINGING, 'SIP/2.0 180', 'SIP/2.0 700'), 'drop'],
    ['version SIP/2.1', edit(RINGING, 'SIP/2.0 180', 'SIP/2.1 180'), 'drop'],
    ['two-digit status', edit(RINGING, 'SIP/2.0 180 Ringing', 'SIP/2.0 18 Ringing'), 'drop'],
    ['no Via', edit(edit(RINGING, 'Via: SIP/2.0/UDP 192.168.1.10;branch=z9hG4bK-proxy-1\r\n', ''), 'Via: SIP/2.0/UDP 192.168.1.21:5062;received=192.168.1.21;rport=5062;branch=z9hG4bK-uac-1\r\n', ''), 'drop'],
    ['CSeq above 2**31-1 (RFC 4475 §3.1.2.5)', edit(RINGING, 'CSeq: 2 INVITE', 'CSeq: 4294967296 INVITE'), 'drop'],
    ['no Call-ID', edit(RINGING, 'Call-ID: 3848276298220188511@192.168.1.21\r\n', ''), 'drop'],
    ['bad header line', edit(RINGING, 'Content-Length: 0', 'Content-Length 0'), 'drop'],
  ];
  for (const [name, input, expected] of rows) {
    test(`${name} → ${expected}`, () => expect(decodeMessage(input).kind).toBe(expected));
  }
});
