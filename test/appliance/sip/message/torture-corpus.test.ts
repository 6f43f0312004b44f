import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { Decoded, SipRequest, SipResponse } from '../../../../appliance/sip/message/types.ts';
import { parseSipUri } from '../../../../appliance/sip/message/uri.ts';
import { responseTarget, rfc3261Branch } from '../../../../appliance/sip/message/via.ts';

/**
 * decodeMessage over the RFC 4475 / RFC 5118 torture corpus (read in place from
 * ../shared/testdata/sip-torture, see its SOURCES.md): the outcome a proxy/registrar owes each
 * message, as a UDP datagram. `kind` is 'request' | 'response' | 'drop' or a status for
 * 'bad-request'. Where the RFC lets a receiver either reject or accept liberally, the table pins
 * what this decoder does and says so.
 */
const REPO = resolve(import.meta.dir, '../../../..');
const CORPUS = resolve(REPO, '../shared/testdata/sip-torture');
const present = existsSync(CORPUS);
if (!present) console.warn(`skipping the torture corpus: ${CORPUS} is absent`);

type Kind = 'request' | 'response' | 'drop' | number;
interface Case {
  readonly kind: Kind;
  /** RFC section and what it says. */
  readonly rfc: string;
  readonly check?: (d: Decoded, bytes: Buffer) => void;
}

const req = (d: Decoded): SipRequest => (d as { msg: SipRequest }).msg;
const res = (d: Decoded): SipResponse => (d as { msg: SipResponse }).msg;
const contactUris = (d: Decoded) => (req(d).headers.contact as { uri: string }[]).map((c) => c.uri);

const TABLE: Record<string, Case> = {
  // RFC 4475 §3.1.1: valid messages, a parser must accept them.
  'rfc4475/wsinv.dat': {
    kind: 'request', rfc: '4475 §3.1.1.1 folding, LWS, compact forms, leading zeros',
    check: (d) => {
      const m = req(d);
      expect(m.method).toBe('INVITE');
      expect(m.headers.via.map((v) => [v.protocol, v.host, v.params.branch])).toEqual([
        ['UDP', '192.0.2.2', '390skdjuw'], ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'], ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      expect(m.headers['max-forwards']).toBe('0068');
      expect(m.headers.newfangledheader).toBe('newfangled value continued newfangled value');
      expect(m.headers.cseq).toEqual({ seq: 9, method: 'INVITE' });
      expect(m.headers.route?.[0].uri).toBe('sip:services.example.com;lr;unknownwith=value;unknown-no-value');
      expect(m.content?.length).toBe(150);
    },
  },
  'rfc4475/intmeth.dat': {
    kind: 'request', rfc: '4475 §3.1.1.2 unknown method of token characters (UAS: 501)',
    check: (d) => {
      expect(req(d).method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
      expect(req(d).headers.cseq).toEqual({ seq: 139122385, method: "!interesting-Method0123456789_*+`.%indeed'~" });
    },
  },
  'rfc4475/esc01.dat': {
    kind: 'request', rfc: '4475 §3.1.1.3 %HEX escapes stay escaped in URIs',
    check: (d) => {
      expect(req(d).uri).toBe('sip:sips%3Auser%40example.com@example.net');
      expect(parseSipUri(req(d).uri)?.host).toBe('example.net');
      expect(contactUris(d)).toEqual(['sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31']);
    },
  },
  'rfc4475/escnull.dat': {
    kind: 'request', rfc: '4475 §3.1.1.4 %00 does not cut the user part; two distinct Contacts',
    check: (d) => expect(contactUris(d)).toEqual(['sip:%00@host5.example.com', 'sip:%00%00@host5.example.com']),
  },
  'rfc4475/esc02.dat': {
    kind: 'request', rfc: '4475 §3.1.1.5 RE%47IST%45R is not REGISTER; C%6Fntact is not Contact',
    check: (d) => {
      expect(req(d).method).toBe('RE%47IST%45R');
      expect(req(d).headers.cseq.method).toBe('RE%47IST%45R');
      expect(contactUris(d)).toEqual(['sip:alias1@host1.example.com', 'sip:alias3@host3.example.com']);
      expect(req(d).headers['c%6fntact']).toBe('<sip:alias2@host2.example.com>');
    },
  },
  'rfc4475/lwsdisp.dat': {
    kind: 'request', rfc: '4475 §3.1.1.6 no LWS between display name and <',
    check: (d) => expect(req(d).headers.from.uri).toBe('sip:caller@example.com'),
  },
  'rfc4475/longreq.dat': {
    kind: 'request', rfc: '4475 §3.1.1.7 long header values',
    check: (d) => expect(req(d).headers.from.params.tag).toBe(`1${'298'.repeat(50)}2424`),
  },
  'rfc4475/dblreq.dat': {
    kind: 'request', rfc: '4475 §3.1.1.8 the REGISTER counts; trailing octets after Content-Length 0 are noise',
    check: (d) => {
      expect(req(d).method).toBe('REGISTER');
      expect(req(d).content).toBe('');
    },
  },
  'rfc4475/semiuri.dat': {
    kind: 'request', rfc: '4475 §3.1.1.9 user part is user;par=u%40example.net',
    check: (d) => expect(parseSipUri(req(d).uri)).toMatchObject({ user: 'user;par=u%40example.net', host: 'example.com', params: {} }),
  },
  'rfc4475/transports.dat': {
    kind: 'request', rfc: '4475 §3.1.1.10 varied and unknown transports',
    check: (d) => expect(req(d).headers.via.map((v) => v.protocol)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']),
  },
  'rfc4475/mpart01.dat': {
    kind: 'request', rfc: '4475 §3.1.1.11 binary multipart body framed by Content-Length',
    check: (d, bytes) => {
      const body = Buffer.from(req(d).content ?? '', 'latin1');
      expect(body.length).toBe(553);
      expect(body.equals(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4))).toBe(true);
      expect(body.includes(0)).toBe(true);
    },
  },
  'rfc4475/unreason.dat': {
    kind: 'response', rfc: '4475 §3.1.1.12 UTF-8 reason phrase',
    check: (d) => {
      expect(res(d).status).toBe(200);
      expect(Buffer.from(res(d).reason, 'latin1').toString('utf8')).toStartWith('= 2**3 * 5**2 но сто девяносто девять');
    },
  },
  'rfc4475/noreason.dat': {
    kind: 'response', rfc: '4475 §3.1.1.13 empty reason phrase',
    check: (d) => expect([res(d).status, res(d).reason]).toEqual([100, '']),
  },

  // RFC 4475 §3.1.2: invalid messages.
  'rfc4475/badinv01.dat': { kind: 'drop', rfc: '4475 §3.1.2.1 says 400; the only Via (";;,;,,") is unusable, so no reply can be routed' },
  'rfc4475/clerr.dat': { kind: 400, rfc: '4475 §3.1.2.2 Content-Length larger than the datagram (RFC 3261 §18.3)' },
  'rfc4475/ncl.dat': { kind: 400, rfc: '4475 §3.1.2.3 negative Content-Length' },
  'rfc4475/scalar02.dat': { kind: 400, rfc: '4475 §3.1.2.4 CSeq above 2**32-1' },
  'rfc4475/scalarlg.dat': { kind: 'drop', rfc: '4475 §3.1.2.5 a response with overlarge scalars: drop' },
  'rfc4475/quotbal.dat': { kind: 400, rfc: '4475 §3.1.2.6 unterminated quoted display name' },
  'rfc4475/ltgtruri.dat': { kind: 400, rfc: '4475 §3.1.2.7 <> around the Request-URI' },
  'rfc4475/lwsruri.dat': { kind: 400, rfc: '4475 §3.1.2.8 LWS inside the Request-URI' },
  'rfc4475/lwsstart.dat': { kind: 400, rfc: '4475 §3.1.2.9 several SP in the Request-Line: may reject (this decoder does)' },
  'rfc4475/trws.dat': { kind: 400, rfc: '4475 §3.1.2.10 SP at the end of the Request-Line: may reject (this decoder does)' },
  'rfc4475/escruri.dat': { kind: 400, rfc: '4475 §3.1.2.11 escaped headers in the Request-URI: may reject with 400' },
  'rfc4475/baddate.dat': { kind: 'request', rfc: '4475 §3.1.2.12 bad Date time zone: better ignored when Date is unused' },
  'rfc4475/regbadct.dat': { kind: 400, rfc: '4475 §3.1.2.13 Contact addr-spec with ? not in <> (RFC 3261 §20.10)' },
  'rfc4475/badaspec.dat': { kind: 'request', rfc: '4475 §3.1.2.14 spaces in an addr-spec: must not crash; accepted liberally here' },
  'rfc4475/baddn.dat': { kind: 400, rfc: '4475 §3.1.2.15 non-token characters in a display name' },
  'rfc4475/badvers.dat': { kind: 505, rfc: '4475 §3.1.2.16 SIP/7.0' },
  'rfc4475/mismatch01.dat': { kind: 400, rfc: '4475 §3.1.2.17 Request-Line and CSeq methods differ' },
  'rfc4475/mismatch02.dat': { kind: 501, rfc: '4475 §3.1.2.18 unknown method with CSeq mismatch: 501 preferred' },
  'rfc4475/bigcode.dat': { kind: 'drop', rfc: '4475 §3.1.2.19 a response with status above 699: drop' },

  // RFC 4475 §3.2: transaction layer.
  'rfc4475/badbranch.dat': {
    kind: 'request', rfc: '4475 §3.2.1 branch=z9hG4bK alone: fall back to RFC 2543 matching',
    check: (d) => expect(rfc3261Branch(req(d).headers.via[0])).toBeUndefined(),
  },

  // RFC 4475 §3.3: parse well, then the application acts on the meaning.
  'rfc4475/insuf.dat': { kind: 400, rfc: '4475 §3.3.1 no To, From, Call-ID, Max-Forwards' },
  'rfc4475/unkscm.dat': { kind: 416, rfc: '4475 §3.3.2 unknown Request-URI scheme' },
  'rfc4475/novelsc.dat': { kind: 416, rfc: '4475 §3.3.3 soap.beep Request-URI: 416 unless supported' },
  'rfc4475/unksm2.dat': {
    kind: 'request', rfc: '4475 §3.3.4 unknown schemes in To/From/Contact are well formed (the registrar rejects)',
    check: (d) => expect([req(d).headers.to.uri, req(d).headers.from.uri]).toEqual(['isbn:2983792873', 'http://www.example.com']),
  },
  'rfc4475/bext01.dat': { kind: 'request', rfc: '4475 §3.3.5 Proxy-Require: well formed; 420 is the proxy stage\'s answer' },
  'rfc4475/invut.dat': { kind: 'request', rfc: '4475 §3.3.6 unknown Content-Type: a proxy forwards it' },
  'rfc4475/regaut01.dat': { kind: 'request', rfc: '4475 §3.3.7 unknown Authorization scheme: well formed; the registrar challenges' },
  'rfc4475/multi01.dat': { kind: 400, rfc: '4475 §3.3.8 several values in single-value headers' },
  'rfc4475/mcl01.dat': { kind: 400, rfc: '4475 §3.3.9 several Content-Length values' },
  'rfc4475/bcast.dat': {
    kind: 'response', rfc: '4475 §3.3.10 broadcast second Via: a well-formed response',
    check: (d) => expect(res(d).headers.via[1].host).toBe('255.255.255.255'),
  },
  'rfc4475/zeromf.dat': {
    kind: 'request', rfc: '4475 §3.3.11 Max-Forwards 0 parses; the proxy stage answers 483',
    check: (d) => expect(req(d).headers['max-forwards']).toBe('0'),
  },
  'rfc4475/cparam01.dat': {
    kind: 'request', rfc: '4475 §3.3.12 ;unknownparam outside <> is a header parameter (RFC 3261 §20.10)',
    check: (d) => {
      const c = (req(d).headers.contact as { uri: string; params: Record<string, unknown> }[])[0];
      expect(c.uri).toBe('sip:+19725552222@gw1.example.net');
      expect(c.params).toEqual({ unknownparam: null });
    },
  },
  'rfc4475/cparam02.dat': {
    kind: 'request', rfc: '4475 §3.3.13 ;unknownparam inside <> belongs to the URI',
    check: (d) => expect(contactUris(d)).toEqual(['sip:+19725552222@gw1.example.net;unknownparam']),
  },
  'rfc4475/regescrt.dat': {
    kind: 'request', rfc: '4475 §3.3.14 escaped Route header in a Contact URI: store as is',
    check: (d) => expect(contactUris(d)).toEqual(['sip:user@example.com?Route=%3Csip:sip.example.com%3E']),
  },
  'rfc4475/sdp01.dat': { kind: 'request', rfc: '4475 §3.3.15 unacceptable Accept: a UAS matter (406)' },

  // RFC 4475 §3.4: backward compatibility.
  'rfc4475/inv2543.dat': {
    kind: 'request', rfc: '4475 §3.4.1 RFC 2543 INVITE: no branch, no Max-Forwards, no Content-Length',
    check: (d) => {
      expect(req(d).headers.via[0].params.branch).toBeUndefined();
      expect(req(d).headers['max-forwards']).toBeUndefined();
      expect(req(d).content).toStartWith('v=0\r\n');
    },
  },

  // RFC 5118: IPv6.
  'rfc5118/ipv6-good': {
    kind: 'request', rfc: '5118 §4.1 IPv6 references in R-URI, Via, Contact',
    check: (d) => expect(parseSipUri(req(d).uri)?.host).toBe('[2001:db8::10]'),
  },
  'rfc5118/ipv6-bad': { kind: 400, rfc: '5118 §4.2 sip:2001:db8::10 without []' },
  'rfc5118/port-ambiguous': {
    kind: 'request', rfc: '5118 §4.3 [2001:db8::10:5070] is an address, without a port',
    check: (d) => expect(parseSipUri(req(d).uri)).toMatchObject({ host: '[2001:db8::10:5070]', port: undefined }),
  },
  'rfc5118/port-unambiguous': {
    kind: 'request', rfc: '5118 §4.4 [2001:db8::10]:5070',
    check: (d) => expect(parseSipUri(req(d).uri)).toMatchObject({ host: '[2001:db8::10]', port: 5070 }),
  },
  'rfc5118/via-received-param-with-delim': {
    kind: 'request', rfc: '5118 §4.5 received=[2001:db8::9:255]; responses go there (RFC 3581 §4)',
    check: (d) => expect(responseTarget(req(d).headers.via[0])).toEqual({ address: '2001:db8::9:255', port: 5060 }),
  },
  'rfc5118/via-received-param-no-delim': {
    kind: 'request', rfc: '5118 §4.5 received=2001:db8::9:255',
    check: (d) => expect(responseTarget(req(d).headers.via[0])).toEqual({ address: '2001:db8::9:255', port: 5060 }),
  },
  'rfc5118/ipv6-in-sdp': { kind: 'request', rfc: '5118 §4.6' },
  'rfc5118/mult-ip-in-header': {
    kind: 'request', rfc: '5118 §4.7 IPv4 and IPv6 mixed across Vias',
    check: (d) => expect(req(d).headers.via.map((v) => v.host)).toEqual(['[2001:db8::9:1]', '192.0.2.1', '[2001:db8::9:255]']),
  },
  'rfc5118/mult-ip-in-sdp': { kind: 'request', rfc: '5118 §4.8' },
  'rfc5118/ipv4-mapped-ipv6': { kind: 'request', rfc: '5118 §4.9' },
  'rfc5118/ipv6-bug-abnf-3-colons': { kind: 400, rfc: '5118 §4.10 [2001:db8:::192.0.2.1] is not an IPv6 reference' },
  'rfc5118/ipv6-correct-abnf-2-colons': {
    kind: 'request', rfc: '5118 §4.10 [2001:db8::192.0.2.1]',
    check: (d) => expect(parseSipUri(req(d).uri)?.host).toBe('[2001:db8::192.0.2.1]'),
  },

  // Not RFC cases (SOURCES.md "extra").
  'extra/test.dat': { kind: 'drop', rfc: 'robustness: header line without a colon, unusable Via' },
  'extra/badcseq.dat': { kind: 400, rfc: 'CSeq without number or method (RFC 3261 §20.16)' },
  'extra/baddn.with-blank-line.dat': { kind: 400, rfc: '4475 §3.1.2.15 with the closing blank line' },
};

const outcome = (d: Decoded): Kind => (d.kind === 'bad-request' ? d.status : d.kind);

describe.skipIf(!present)('decodeMessage: RFC 4475 / RFC 5118 torture corpus', () => {
  const files = present
    ? ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) => readdirSync(join(CORPUS, dir)).map((f) => `${dir}/${f}`)).sort()
    : [];

  test('every corpus file has an expectation, and every expectation a file', () => {
    expect(files).toEqual(Object.keys(TABLE).sort());
    expect(files.length).toBe(49 + 12 + 3);
  });

  for (const [file, c] of Object.entries(TABLE)) {
    test(`${file} → ${c.kind} (RFC ${c.rfc})`, () => {
      const bytes = readFileSync(join(CORPUS, file));
      const d = decodeMessage(bytes);
      expect(outcome(d)).toBe(c.kind);
      // A rejected request still carries the Via needed to route the answer (RFC 3261 §8.2.6.2).
      if (d.kind === 'bad-request') expect(d.msg.headers.via.length).toBeGreaterThan(0);
      c.check?.(d, bytes);
    });
  }
});
