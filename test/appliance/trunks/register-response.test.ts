import { describe, expect, test } from 'bun:test';
import { expectedResponse, computeHa1 } from '../../../appliance/sip/auth/digest.ts';
import { digestAnswer } from '../../../appliance/trunks/digest-answer.ts';
import { authParams, grantedExpires, parseChallenges, readRegisterResponse } from '../../../appliance/trunks/register-response.ts';

/** Reading a REGISTER response's challenge, Min-Expires and expiry, and answering the challenge (client side). */
const head = (status: string, ...lines: string[]) => [
  `SIP/2.0 ${status}`, 'Via: SIP/2.0/UDP 127.0.180.1:5060;branch=z9hG4bK-trx', 'From: <sip:5551230000@provider.example>;tag=a',
  'To: <sip:5551230000@provider.example>;tag=b', 'Call-ID: c1@127.0.180.1', 'CSeq: 2 REGISTER', ...lines, 'Content-Length: 0', '', '',
].join('\r\n');

describe('challenges (RFC 2617 §3.2.1, RFC 8760)', () => {
  test('Kamailio\'s 401 (MD5, qop auth), in order, with SHA-256 and an unknown algorithm', () => {
    const wire = head('401 Unauthorized',
      'WWW-Authenticate: Digest realm="provider.example", nonce="Z1x2Y3", qop="auth", algorithm=SHA-256',
      'WWW-Authenticate: Digest realm="provider.example", nonce="abc", opaque="op\\"q", qop="auth,auth-int"',
      'WWW-Authenticate: Digest realm="p", nonce="n", algorithm=SHA-512-256',
      'WWW-Authenticate: Digest realm="p", nonce="n", qop="auth-int"');
    expect(parseChallenges(wire, 401)).toEqual([
      { realm: 'provider.example', nonce: 'Z1x2Y3', opaque: undefined, algorithm: 'SHA-256', qop: 'auth', stale: false, proxy: false },
      { realm: 'provider.example', nonce: 'abc', opaque: 'op"q', algorithm: 'MD5', qop: 'auth', stale: false, proxy: false },
    ]);
  });
  test('407 reads Proxy-Authenticate; folded lines; stale=TRUE; no qop', () => {
    const wire = head('407 Proxy Authentication Required', 'Proxy-Authenticate: Digest realm="r",\r\n  nonce="n9", stale=TRUE');
    expect(parseChallenges(wire, 407)).toEqual([{ realm: 'r', nonce: 'n9', opaque: undefined, algorithm: 'MD5', qop: undefined, stale: true, proxy: true }]);
    expect(parseChallenges(wire, 401)).toEqual([]);
  });
  test('auth-param lists: quoted commas, spaces', () => {
    expect([...authParams('a="x, y", b = 2 ,c="q\\\\"')]).toEqual([['a', 'x, y'], ['b', '2'], ['c', 'q\\']]);
  });
});

describe('granted expiry and Min-Expires', () => {
  const ours = 'sip:5551230000@127.0.180.1:5060';
  test('our Contact\'s expires among others; the Expires header otherwise', () => {
    const wire = head('200 OK', 'Contact: <sip:5551230000@10.0.0.9:5060>;expires=3600, <SIP:5551230000@127.0.180.1:5060>;expires=120;received="x"', 'Expires: 999');
    expect(grantedExpires(wire, ours)).toBe(120);
    expect(grantedExpires(head('200 OK', 'Expires: 300'), ours)).toBe(300);
    expect(grantedExpires(head('200 OK'), ours)).toBeUndefined();
    expect(grantedExpires(head('200 OK', 'm: <sip:5551230000@127.0.180.1:5060;transport=udp>;expires=45'), ours)).toBe(45);
  });
  test('423: Min-Expires; 503: Retry-After', () => {
    expect(readRegisterResponse(head('423 Interval Too Brief', 'Min-Expires: 300'), 423, 'Interval Too Brief', ours)).toMatchObject({ minExpires: 300, challenges: [] });
    expect(readRegisterResponse(head('503 Service Unavailable', 'Retry-After: 30 (maintenance)'), 503, 'Service Unavailable', ours).retryAfter).toBe(30);
  });
});

describe('digest answer (client side) checks against the server side', () => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    for (const qop of ['auth', undefined] as const) {
      test(`${algorithm}, qop ${qop ?? 'none'}: the response the server expects`, () => {
        const c = { realm: 'provider.example', nonce: 'n-1', opaque: 'o', algorithm, qop, stale: false, proxy: false };
        const header = digestAnswer(c, { authUsername: '5551230000', password: 'Trunk-Pass-1' }, 'REGISTER', 'sip:provider.example', 'cn0', 1);
        const p = authParams(header.replace(/^Digest /, ''));
        expect(p.get('username')).toBe('5551230000');
        expect(p.get('algorithm')).toBe(algorithm);
        expect(p.get('opaque')).toBe('o');
        expect(p.get('qop')).toBe(qop);
        const ha1 = computeHa1(algorithm, '5551230000', 'provider.example', 'Trunk-Pass-1');
        const creds = { username: '5551230000', realm: 'provider.example', nonce: 'n-1', uri: 'sip:provider.example', response: p.get('response')!, algorithm, qop, nc: p.get('nc'), cnonce: p.get('cnonce') };
        expect(p.get('response')).toBe(expectedResponse(ha1, 'REGISTER', creds));
        expect(p.get('response')).not.toBe(expectedResponse(computeHa1(algorithm, '5551230000', 'provider.example', 'wrong'), 'REGISTER', creds));
      });
    }
  }
});
