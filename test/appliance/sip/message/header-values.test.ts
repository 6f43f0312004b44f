import { describe, expect, test } from 'bun:test';
import { requestHeaders } from '../../../../appliance/sip/message/header-values.ts';

/** requestHeaders: header lines (already named by decode.ts) to the shapes the pipeline reads. */
const cases: [string, [string, string[]][], Record<string, unknown>][] = [
  ['name-addrs with parameters', [['from', ['"Alice" <sip:alice@office.lan>;tag=a1']], ['to', ['<sip:201@office.lan>']]], {
    from: { name: '"Alice"', uri: 'sip:alice@office.lan', params: { tag: 'a1' } },
    to: { uri: 'sip:201@office.lan', params: {} },
  }],
  ['contacts over two lines and a comma form one list (RFC 3261 §7.3.1)', [['contact', ['<sip:a@h1>;expires=60, <sip:b@h2>', '<sip:c@h3>;q=0.5']]], {
    contact: [
      { uri: 'sip:a@h1', params: { expires: '60' } },
      { uri: 'sip:b@h2', params: {} },
      { uri: 'sip:c@h3', params: { q: '0.5' } },
    ],
  }],
  ['Contact: * is an entry with the URI *', [['contact', ['*']]], { contact: [{ uri: '*', params: {} }] }],
  ['digest credentials (RFC 3261 §22.4)', [['authorization', ['Digest username="201", realm="office.lan", nonce="n1", uri="sip:office.lan", response="abc", qop=auth, nc=00000001, cnonce="c"']]], {
    authorization: [{ scheme: 'Digest', username: '"201"', realm: '"office.lan"', nonce: '"n1"', uri: '"sip:office.lan"', response: '"abc"', qop: 'auth', nc: '00000001', cnonce: '"c"' }],
  }],
  ['credentials without a scheme are left out', [['authorization', ['garbage']]], {}],
  ['other headers stay text, repeated lines joined with commas', [['supported', ['replaces', 'timer']], ['subject', ['Performance Test']]], {
    supported: 'replaces,timer', subject: 'Performance Test',
  }],
  ['Content-Length is a number, CSeq a pair', [['content-length', ['129']], ['cseq', ['7 INVITE']]], {
    'content-length': 129, cseq: { seq: 7, method: 'INVITE' },
  }],
  ['Via, Route and Record-Route are decode.ts own', [['via', ['SIP/2.0/UDP h']], ['route', ['<sip:x;lr>']], ['record-route', ['<sip:y;lr>']]], {}],
];

describe('requestHeaders', () => {
  for (const [name, lines, want] of cases) {
    test(name, () => {
      expect(requestHeaders(new Map(lines)) as unknown).toEqual(want);
    });
  }

  test('keeps the order the headers came in (forwarded in that order)', () => {
    const h = requestHeaders(new Map([['call-id', ['x']], ['cseq', ['1 BYE']], ['from', ['<sip:a@b>;tag=1']], ['max-forwards', ['70']]]));
    expect(Object.keys(h)).toEqual(['call-id', 'cseq', 'from', 'max-forwards']);
  });
});
