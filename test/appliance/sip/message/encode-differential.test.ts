import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sip from 'sip';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { buildResponse, encodeMessage } from '../../../../appliance/sip/message/encode.ts';
import type { SipRequest, SipResponse } from '../../../../appliance/sip/message/types.ts';
import { buildCancel, forwardRequest, stampReceived, type ForwardIdentity } from '../../../../appliance/sip/proxy/forwarding.ts';
import { buildAck } from '../../../../appliance/sip/transaction/client-transaction.ts';
import { fuzzSeed, SeededRandom } from '../../../support/seeded-random.ts';

/**
 * Differential test of the encoder (encode.ts) against `sip.stringify`, which it replaced
 * (issue 16): for every message, decode(encodeMessage(m)) must equal decode(sip.stringify(m))
 * (the meaning, not the bytes: the two differ in spacing, e.g. `To:  <…>` from the package),
 * and where the package's output decodes as a valid request or response, ours must too. Inputs:
 * the RFC 4475 / RFC 5118 torture corpus (read in place from ../shared/testdata/sip-torture, see
 * its SOURCES.md), seeded mutations of it, and the shapes the proxy writes (forwarded requests
 * with our Via and Record-Route, responses with a To tag, 100, 503 + Retry-After, REGISTER 200
 * with several Contacts, challenges). The differences on purpose have their own tests below.
 */
const REPO = resolve(import.meta.dir, '../../../..');
const CORPUS = resolve(REPO, '../shared/testdata/sip-torture');
const present = existsSync(CORPUS);
if (!present) console.warn(`skipping the torture corpus: ${CORPUS} is absent`);
const corpus: [string, Buffer][] = present
  ? ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) => readdirSync(join(CORPUS, dir)).sort().map((f): [string, Buffer] => [`${dir}/${f}`, readFileSync(join(CORPUS, dir, f))]))
  : [];

type Msg = SipRequest | SipResponse;
const id: ForwardIdentity = { advertise: '127.0.214.1', port: 5060, tlsPort: 5061, viaPort: 5062, dialogToken: () => '0cfba1e98a9b133073e6' };
const source = { transport: 'udp', address: '127.0.214.9', port: 5091, localPort: 5060 } as const;

/** What a message means to our decoder: the outcome, the parsed message without its bytes. */
function meaning(bytes: Buffer): unknown {
  const d = decodeMessage(bytes);
  if (d.kind === 'drop') return d;
  const { wire: _wire, preEncoded: _pre, ...msg } = d.msg as SipResponse;
  // A response's decoding reads only what a proxy needs; the package's parser shows the rest.
  const all = d.kind === 'response' ? (sip.parse(bytes) as { headers: unknown }).headers : undefined;
  return { ...d, msg, all };
}

/** The package's bytes, on a copy: sip.stringify writes `headers['content-length']` into the message. */
function theirs(m: Msg): Buffer | undefined {
  try {
    return Buffer.from(sip.stringify({ ...m, headers: { ...m.headers } } as Msg), 'binary');
  } catch {
    return undefined; // e.g. a Via list given as one object: the package cannot write it
  }
}

/** Our bytes must be well-framed whatever the input: one blank line, Content-Length = body octets. */
function checkFraming(bytes: Buffer): void {
  const s = bytes.toString('latin1');
  const end = s.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const lengths = [...s.slice(0, end + 2).matchAll(/\r\nContent-Length: (\d+)\r\n/g)].map((m) => Number(m[1]));
  expect(lengths).toEqual([bytes.length - end - 4]);
}

let compared = 0;
/** The differential check for one message. */
function same(m: Msg, what: string): void {
  const ours = encodeMessage(m);
  checkFraming(ours);
  const lib = theirs(m);
  if (lib === undefined) return;
  const want = meaning(lib) as { kind: string };
  const got = meaning(ours) as { kind: string };
  compared++;
  if (!Bun.deepEquals(got, want)) {
    // The texts first: they say more than a structural diff.
    expect(`${what}\n${ours.toString('latin1')}`).toBe(`${what}\n${lib.toString('latin1')}`);
    expect(got).toEqual(want);
  }
  if (want.kind === 'request' || want.kind === 'response') expect(got.kind).toBe(want.kind);
}

/** Everything the appliance would write for a decoded input: the message itself, replies, forwards. */
function family(bytes: Buffer, what: string): void {
  const d = decodeMessage(bytes);
  if (d.kind === 'drop') return;
  if (d.kind === 'bad-request') {
    // The 400/505/... we send back to a broken request (RFC 3261 §8.2.6).
    same(buildResponse(d.msg, d.status, d.reason, d.extraHeaders ?? {}, 'a1b2c3'), `${what} reply`);
    return;
  }
  same(d.msg, what);
  if (d.kind === 'response') return;
  const req = d.msg;
  stampReceived(req, source);
  same(req, `${what} stamped`);
  same(buildResponse(req, 100), `${what} 100`);
  same(buildResponse(req, 486, undefined, {}, 'a1b2c3'), `${what} 486`);
  same(buildResponse(req, 503, 'Service Unavailable', { 'retry-after': '5' }, 'a1b2c3'), `${what} 503`);
  if (typeof req.uri === 'string' && /^sips?:/i.test(req.uri)) {
    same(forwardRequest(req, 'sip:201@127.0.214.2:5090', 'z9hG4bK-f1', 'udp', id), `${what} forwarded`);
    same(forwardRequest(req, 'sip:201@127.0.214.2:5090;transport=tls', 'z9hG4bK-f2', 'tls', id, 'udp', 'sip:127.0.214.3;lr'), `${what} forwarded over TLS`);
  }
}

describe('encodeMessage against sip.stringify: the torture corpus', () => {
  for (const [name, bytes] of corpus) test(name, () => family(bytes, name));
});

/** Byte-level mutations of a message: the odd inputs a decoder lets through. */
const NOISE = [';', ',', '"', '<', '>', ' ', '=', '\r\n ', '%', ':', '\t', '\u00e9', '\u00c3\u00a9', '?', '&', '[', ']', '@', '\\', 'lr', 'tag=x'];
function mutate(r: SeededRandom, s: string): string {
  const head = s.indexOf('\r\n\r\n');
  const lines = (head < 0 ? s : s.slice(0, head)).split('\r\n');
  const tail = head < 0 ? '' : s.slice(head);
  const i = 1 + r.int(Math.max(1, lines.length - 1));
  switch (r.int(6)) {
    case 0: lines.splice(i, 1); break; // drop a header
    case 1: lines.splice(i, 0, lines[i] ?? 'X-A: b'); break; // repeat one
    case 2: { // insert noise inside a line
      const l = lines[i] ?? '';
      const at = r.int(l.length + 1);
      lines[i] = l.slice(0, at) + r.pick(NOISE) + l.slice(at);
      break;
    }
    case 3: { // delete a few characters
      const l = lines[i] ?? '';
      const at = r.int(l.length + 1);
      lines[i] = l.slice(0, at) + l.slice(at + 1 + r.int(4));
      break;
    }
    case 4: lines.splice(i, 0, r.pick(['Record-Route: <sip:p1.example.net;lr>, "x" <sip:p2.example.net;lr>;a=b', 'Contact: <sip:a@h1>;expires=0, *', 'Route: <sip:[2001:db8::1]:5070;lr>', 'Path: <sip:[2001:db8::2];lr>', 'Proxy-Authorization: Digest username="a", realm="r", nonce="n", uri="sip:x", response="00"', 'WWW-Authenticate: Digest realm="r", nonce="n"', 'Authentication-Info: nextnonce="n2"', 'Refer-To: <sip:c@h?Replaces=abc>', 'X-Empty:', 'Max-Forwards: 0'])); break;
    default: lines[i] = (lines[i] ?? '').replace(/^[^:]*/, (n) => (r.chance(0.5) ? n.toUpperCase() : n.toLowerCase())); break;
  }
  return lines.join('\r\n') + tail;
}

describe('encodeMessage against sip.stringify: seeded mutations of the corpus', () => {
  const seed = fuzzSeed();
  test(`3,000 mutations (FUZZ_SEED=${seed})`, () => {
    const r = new SeededRandom(seed);
    const valid = corpus.filter(([, b]) => { const k = decodeMessage(b).kind; return k === 'request' || k === 'response'; });
    expect(valid.length).toBeGreaterThan(20);
    compared = 0;
    for (let n = 0; n < 3000; n++) {
      const [name, bytes] = r.pick(valid);
      let s = bytes.toString('latin1');
      for (let k = r.range(1, 3); k > 0; k--) s = mutate(r, s);
      family(Buffer.from(s, 'latin1'), `${name} mutation ${n}`);
    }
    expect(compared).toBeGreaterThan(3000); // most mutations still decode, each into several messages
  }, 30_000);
});

const decoded = (text: string): SipRequest => {
  const d = decodeMessage(Buffer.from(text.replace(/(?<!\r)\n/g, '\r\n'), 'latin1'));
  if (d.kind !== 'request') throw new Error(`fixture did not decode: ${d.kind}`);
  stampReceived(d.msg, source);
  return d.msg;
};
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.214.9\r\ns=-\r\nc=IN IP4 127.0.214.9\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
const INVITE = decoded(`INVITE sip:201@office.lan SIP/2.0
Via: SIP/2.0/UDP 127.0.214.9:5091;branch=z9hG4bK-i1;rport
Max-Forwards: 70
From: "Anna M\u00c3\u00bcller" <sip:202@office.lan>;tag=f1
To: <sip:201@office.lan>
Call-ID: c1@127.0.214.9
CSeq: 1 INVITE
Contact: <sip:202@127.0.214.9:5091;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>"
Proxy-Authorization: Digest username="202", realm="office.lan", nonce="n1", uri="sip:201@office.lan", response="abc", algorithm=MD5
Allow: INVITE, ACK, CANCEL, BYE
Supported: replaces
Supported: timer
Content-Type: application/sdp
Content-Length: ${SDP.length}

${SDP}`);
const REGISTER = decoded(`REGISTER sip:office.lan SIP/2.0
v: SIP/2.0/TCP [2001:db8::9]:5091;branch=z9hG4bK-r1
f: <sip:203@office.lan>;tag=r1
t: <sip:203@office.lan>
i: r1@host
CSeq: 7 REGISTER
m: <sip:203@[2001:db8::9]:5091;transport=tcp>;expires=600
l: 0

`);

describe('encodeMessage against sip.stringify: what the proxy writes', () => {
  const shapes: [string, () => Msg][] = [
    ['forwarded INVITE: our Via on top, one Record-Route', () => forwardRequest(INVITE, 'sip:201@127.0.214.2:5090', 'z9hG4bK-p1', 'udp', id)],
    ['forwarded INVITE: UDP in, TLS out (doubled Record-Route, RFC 5658)', () => forwardRequest(INVITE, 'sip:201@127.0.214.2:5091;transport=tls', 'z9hG4bK-p2', 'tls', id, 'udp')],
    ['forwarded INVITE with a pushed Route', () => forwardRequest(INVITE, 'sip:201@127.0.214.2', 'z9hG4bK-p3', 'udp', id, 'udp', 'sip:127.0.214.4:5060;lr')],
    ['CANCEL and ACK of a forwarded INVITE', () => buildCancel(forwardRequest(INVITE, 'sip:201@127.0.214.2', 'z9hG4bK-p4', 'udp', id))],
    ['ACK for a 486', () => buildAck(INVITE, buildResponse(INVITE, 486, 'Busy Here', {}, 'callee1'))],
    ['100 Trying (no To tag, RFC 3261 §8.2.6.2)', () => buildResponse(INVITE, 100)],
    ['180 with a To tag', () => buildResponse(INVITE, 180, 'Ringing', {}, 'a1b2c3')],
    ['503 with Retry-After (overload)', () => buildResponse(INVITE, 503, 'Service Unavailable', { 'retry-after': '3' }, 'a1b2c3')],
    ['407 with two challenges (MD5 and SHA-256)', () => buildResponse(INVITE, 407, 'Proxy Authentication Required', {
      'proxy-authenticate': ['MD5', 'SHA-256'].map((algorithm) => ({ scheme: 'Digest', realm: '"office.lan"', nonce: '"n2"', algorithm, qop: '"auth"', stale: 'true' })),
    }, 'a1b2c3')],
    ['REGISTER 200 with several Contacts and expires params', () => buildResponse(REGISTER, 200, 'OK', {
      contact: [{ uri: 'sip:203@[2001:db8::9]:5091;transport=tcp', params: { expires: '600' } }, { uri: 'sip:203@127.0.214.9:5092', params: { expires: '3600', q: '0.5' } }],
      date: 'Thu, 03 Dec 2026 17:00:00 GMT',
    }, 'a1b2c3')],
    ['302 with Contacts', () => buildResponse(INVITE, 302, 'Moved Temporarily', { contact: [{ uri: 'sip:201@127.0.214.5:5060', params: {} }] }, 'a1b2c3')],
    ['423 with Min-Expires', () => buildResponse(REGISTER, 423, 'Interval Too Brief', { 'min-expires': '60' }, 'a1b2c3')],
    ['NOTIFY of our own (notifier.ts shape)', () => ({
      method: 'NOTIFY', uri: 'sip:202@127.0.214.9:5091', version: '2.0',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host: '127.0.214.1', port: 5062, params: { branch: 'z9hG4bK-nt1' } }],
        'max-forwards': '70', to: { uri: 'sip:202@office.lan', params: { tag: 's1' } }, from: { uri: 'sip:201@office.lan', params: { tag: 'n1' } },
        'call-id': 'sub1', cseq: { seq: 2, method: 'NOTIFY' }, contact: [{ uri: 'sip:201@127.0.214.1:5060', params: {} }],
        event: 'dialog', 'subscription-state': 'active;expires=600', 'content-type': 'application/dialog-info+xml', 'content-length': 3,
      },
      content: '<a/>',
    } as unknown as SipRequest)],
  ];
  for (const [name, build] of shapes) test(name, () => same(build(), name));

  test('forwarded INVITE: the rows as sent', () => {
    const text = encodeMessage(forwardRequest(INVITE, 'sip:201@127.0.214.2:5090', 'z9hG4bK-p1', 'udp', id)).toString('latin1');
    expect(text.split('\r\n').slice(0, 7)).toEqual([
      'INVITE sip:201@127.0.214.2:5090 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.214.1:5062;branch=z9hG4bK-p1',
      'Via: SIP/2.0/UDP 127.0.214.9:5091;branch=z9hG4bK-i1;rport=5091',
      'Max-Forwards: 69',
      'From: "Anna M\u00c3\u00bcller" <sip:202@office.lan>;tag=f1', // received UTF-8 octets go out unchanged
      'To: <sip:201@office.lan>',
      'Call-ID: c1@127.0.214.9',
    ]);
    expect(text).toContain('\r\nRecord-Route: <sip:127.0.214.1:5060;lr;dlg=0cfba1e98a9b133073e6>\r\n');
    expect(text).toContain('\r\nProxy-Authorization: Digest username="202",realm="office.lan",nonce="n1",uri="sip:201@office.lan",response="abc",algorithm=MD5\r\n');
    // Content-Length stays where it was; Record-Route, new to the message, comes after it
    // (RFC 3261 §7.3.1: only the order of rows of the same name matters).
    expect(text).toContain(`\r\nContent-Length: ${SDP.length}\r\nRecord-Route: <sip:127.0.214.1:5060;lr;dlg=0cfba1e98a9b133073e6>\r\n\r\n${SDP}`);
    expect(text.endsWith(`\r\n\r\n${SDP}`)).toBe(true);
  });

  test('compact forms are written in full (RFC 3261 §7.3.3: equivalent; decoding expanded them)', () => {
    const text = encodeMessage(REGISTER).toString('latin1');
    expect(text).toContain('\r\nVia: SIP/2.0/TCP [2001:db8::9]:5091;branch=z9hG4bK-r1;received=127.0.214.9\r\n');
    expect(text).toContain('\r\nContact: <sip:203@[2001:db8::9]:5091;transport=tcp>;expires=600\r\n');
    expect(text).toContain('\r\nContent-Length: 0\r\n\r\n');
  });
});

describe('where encodeMessage differs from sip.stringify on purpose', () => {
  const base = () => buildResponse(INVITE, 200, 'OK', {}, 'a1b2c3');

  test('text above U+00FF is written as UTF-8 and Content-Length counts its bytes (RFC 3261 §7.4.1, §20.14); the package cut each character to one byte', () => {
    const req = { ...decoded(`MESSAGE sip:201@office.lan SIP/2.0
Via: SIP/2.0/UDP 127.0.214.9:5091;branch=z9hG4bK-m1
From: <sip:202@office.lan>;tag=m1
To: <sip:201@office.lan>
Call-ID: m1
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Type: text/plain;charset=utf-8
Content-Length: 0

`), content: 'Grüße \u20ac \u{1F4DE}' };
    const bytes = encodeMessage(req);
    const body = Buffer.from('Grüße \u20ac \u{1F4DE}', 'utf8');
    expect(bytes.subarray(bytes.length - body.length).equals(body)).toBe(true);
    checkFraming(bytes);
    expect(Buffer.from(sip.stringify({ ...req, headers: { ...req.headers } }), 'binary').toString('latin1')).toContain('Content-Length: 10\r\n') // UTF-16 units;
  });

  test('an empty Contact list writes no Contact (the package wrote "Contact: *", which removes every binding, RFC 3261 §10.2.2)', () => {
    const res = { ...base(), headers: { ...base().headers, contact: [] } } as unknown as SipResponse;
    expect(encodeMessage(res).toString('latin1')).not.toContain('Contact');
    expect(theirs(res)!.toString('latin1')).toContain('Contact: *');
  });

  test('a parameter value 0 is written (the package made `;expires=0` a bare `;expires`)', () => {
    const res = { ...base(), headers: { ...base().headers, contact: [{ uri: 'sip:a@h', params: { expires: 0 } }] } } as unknown as SipResponse;
    expect(encodeMessage(res).toString('latin1')).toContain('Contact: <sip:a@h>;expires=0\r\n');
    expect(theirs(res)!.toString('latin1')).toContain('Contact:  <sip:a@h>;expires\r\n');
  });

  test('a response without a reason gets the standard phrase (RFC 3261 §21), not "undefined"', () => {
    const res = { ...base(), reason: undefined } as unknown as SipResponse;
    expect(encodeMessage(res).toString('latin1').startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
  });

  test('a Via list given as one object is written (the package threw)', () => {
    const res = { ...base(), headers: { ...base().headers, via: INVITE.headers.via[0] } } as unknown as SipResponse;
    expect(theirs(res)).toBeUndefined();
    expect(encodeMessage(res).toString('latin1')).toContain('\r\nVia: SIP/2.0/UDP 127.0.214.9:5091;branch=z9hG4bK-i1;');
  });

  test('the message is left as it was (the package set headers["content-length"] on it)', () => {
    const res = base();
    const before = structuredClone(res);
    encodeMessage(res);
    expect(res).toEqual(before);
    expect('content-length' in res.headers).toBe(false);
  });

  test('a Path with an IPv6 URI is forwarded as received (the package could not parse or write it)', () => {
    const req = decoded(`REGISTER sip:office.lan SIP/2.0
Via: SIP/2.0/UDP 127.0.214.9:5091;branch=z9hG4bK-pa
From: <sip:203@office.lan>;tag=p1
To: <sip:203@office.lan>
Call-ID: p1
CSeq: 1 REGISTER
Path: <sip:[2001:db8::7]:5060;lr>
Content-Length: 0

`);
    expect(encodeMessage(req).toString('latin1')).toContain('\r\nPath: <sip:[2001:db8::7]:5060;lr>\r\n');
  });
});
