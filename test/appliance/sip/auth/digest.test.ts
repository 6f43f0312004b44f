import { describe, expect, test } from 'bun:test';
import { createHash, createHmac } from 'node:crypto';
import {
  computeHa1, digestHash, expectedResponse, NonceIssuer, sameDigest, type DigestAlgorithm, type DigestCredentials,
} from '../../../../appliance/sip/auth/digest.ts';

/** HTTP Digest as SIP uses it (RFC 3261 §22.4): published vectors, then the stateless nonces. */
describe('digest vectors', () => {
  // RFC 2617 §3.5: MD5, qop=auth. RFC 7616 §3.9.1: the same exchange with SHA-256 and MD5
  // (note RFC 7616 spells the password "Circle of Life", RFC 2617 "Circle Of Life").
  const rows: [string, DigestAlgorithm, string, string, Omit<DigestCredentials, 'algorithm' | 'response' | 'username'>, string][] = [
    ['RFC 2617 §3.5', 'MD5', 'testrealm@host.com', 'Circle Of Life', {
      realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
    }, '6629fae49393a05397450978507c4ef1'],
    ['RFC 7616 §3.9.1 SHA-256', 'SHA-256', 'http-auth@example.org', 'Circle of Life', {
      realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', qop: 'auth', nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    }, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ['RFC 7616 §3.9.1 MD5', 'MD5', 'http-auth@example.org', 'Circle of Life', {
      realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', qop: 'auth', nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    }, '8ca523f5e9506fed4657c9700eebdbec'],
  ];
  for (const [name, algorithm, realm, password, fields, response] of rows) {
    test(`${name}: response ${response.slice(0, 12)}…`, () => {
      const ha1 = computeHa1(algorithm, 'Mufasa', realm, password);
      expect(expectedResponse(ha1, 'GET', { ...fields, algorithm, username: 'Mufasa', response: '' })).toBe(response);
    });
  }

  test('HA1 = H(user:realm:password), lower-case hex (RFC 2617 §3.2.2.2)', () => {
    expect(computeHa1('MD5', '201', 'office.lan', 'Pa55word!x')).toBe(createHash('md5').update('201:office.lan:Pa55word!x').digest('hex'));
    expect(computeHa1('SHA-256', '201', 'office.lan', 'Pa55word!x')).toBe(createHash('sha256').update('201:office.lan:Pa55word!x').digest('hex'));
    expect(digestHash('MD5', '')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(digestHash('SHA-256', '')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('without qop: H(HA1:nonce:HA2) (RFC 2617 §3.2.2.1, RFC 2069 compatibility)', () => {
    const ha1 = computeHa1('MD5', '201', 'office.lan', 'pw');
    const ha2 = createHash('md5').update('REGISTER:sip:office.lan').digest('hex');
    const want = createHash('md5').update(`${ha1}:abc:${ha2}`).digest('hex');
    expect(expectedResponse(ha1, 'REGISTER', { username: '201', realm: 'office.lan', nonce: 'abc', uri: 'sip:office.lan', response: '', algorithm: 'MD5' })).toBe(want);
  });

  const same: [string, string, boolean][] = [
    ['abcdef', 'abcdef', true], ['ABCDEF', 'abcdef', true], ['abcdef', 'abcdee', false], ['abc', 'abcd', false], ['', '', true],
  ];
  for (const [a, b, eq] of same) test(`sameDigest(${a}, ${b}) = ${eq}`, () => expect(sameDigest(a, b)).toBe(eq));
});

describe('NonceIssuer: stateless nonces', () => {
  const NOW = 1_700_000_000_000;
  const issuer = new NonceIssuer('worker-shared-secret', 'office.lan', 300);
  const ADDR = '192.0.2.10';
  const nonce = issuer.issue(ADDR, NOW);
  const [ts, salt, mask, mac] = nonce.split('.');
  const flip = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');

  test('shape: hex seconds, 8 hex salt, offered algorithms, 24 hex MAC', () => expect(nonce).toMatch(/^[0-9a-f]+\.[0-9a-f]{8}\.[0-3]\.[0-9a-f]{24}$/));
  test('the MAC is HMAC-SHA256(secret, issued:salt:offered:realm:address), its first 24 hex digits', () => {
    expect(mac).toBe(createHmac('sha256', 'worker-shared-secret').update(`${ts}:${salt}:${mask}:office.lan:${ADDR}`).digest('hex').slice(0, 24));
  });
  test('the offered algorithms travel in the nonce', () => {
    expect(issuer.offered(issuer.issue(ADDR, NOW, ['MD5']))).toEqual(['MD5']);
    expect(issuer.offered(issuer.issue(ADDR, NOW, ['SHA-256']))).toEqual(['SHA-256']);
    expect(issuer.offered(issuer.issue(ADDR, NOW, ['SHA-256', 'MD5']))).toEqual(['SHA-256', 'MD5']);
    expect(issuer.offered('not-a-nonce')).toEqual([]);
  });
  test('every nonce is unique (the salt), so nonce counts can key on it', () => expect(issuer.issue(ADDR, NOW)).not.toBe(issuer.issue(ADDR, NOW)));
  test('salts stay unique and random across the salt pool\'s refills (1,024 per draw)', () => {
    const fresh = new NonceIssuer('worker-shared-secret', 'office.lan', 300);
    const salts = Array.from({ length: 3000 }, () => fresh.issue(ADDR, NOW).split('.')[1]);
    expect(new Set(salts).size).toBe(3000);
    expect(salts.every((x) => /^[0-9a-f]{8}$/.test(x))).toBe(true);
  });

  const rows: [string, () => string, number, 'fresh' | 'stale' | 'invalid'][] = [
    ['just issued', () => nonce, NOW, 'fresh'],
    ['at the end of its lifetime', () => nonce, NOW + 300_000, 'fresh'],
    ['one second past its lifetime', () => nonce, NOW + 301_000, 'stale'],
    ['a day old', () => nonce, NOW + 86_400_000, 'stale'],
    ['checked by another worker with the same secret', () => new NonceIssuer('worker-shared-secret', 'office.lan', 300).issue(ADDR, NOW), NOW, 'fresh'],
    ['tampered MAC', () => `${ts}.${salt}.${mask}.${flip(mac)}`, NOW, 'invalid'],
    ['tampered salt', () => `${ts}.${flip(salt)}.${mask}.${mac}`, NOW, 'invalid'],
    ['tampered offer (MD5 added to a SHA-256 only nonce)', () => {
      const [t, sa, , m] = issuer.issue(ADDR, NOW, ['SHA-256']).split('.');
      return `${t}.${sa}.3.${m}`;
    }, NOW, 'invalid'],
    ['tampered timestamp (made younger)', () => `${(parseInt(ts, 16) + 1000).toString(16)}.${salt}.${mask}.${mac}`, NOW + 1_000_000, 'invalid'],
    ['the issue-10 three-part shape', () => `${ts}.${salt}.${mac}`, NOW, 'invalid'],
    ['issued to another address (a replay from another host)', () => issuer.issue('192.0.2.99', NOW), NOW, 'invalid'],
    ['the old two-part shape', () => `${ts}.${mac}`, NOW, 'invalid'],
    ['another secret', () => new NonceIssuer('other-secret', 'office.lan', 300).issue(ADDR, NOW), NOW, 'invalid'],
    ['another realm', () => new NonceIssuer('worker-shared-secret', 'other.lan', 300).issue(ADDR, NOW), NOW, 'invalid'],
    ['issued 3 s in the future (clock skew allowed)', () => issuer.issue(ADDR, NOW + 3000), NOW, 'fresh'],
    ['issued 60 s in the future', () => issuer.issue(ADDR, NOW + 60_000), NOW, 'invalid'],
    ['empty', () => '', NOW, 'invalid'],
    ['no dot', () => ts + salt + mask + mac, NOW, 'invalid'],
    ['dot first', () => `.${salt}.${mask}.${mac}`, NOW, 'invalid'],
    ['not hex', () => `zz.${salt}.${mask}.${mac}`, NOW, 'invalid'],
    ['RFC 2617 example nonce', () => 'dcd98b7102dd2f0e8b11d0f600bfb0c093', NOW, 'invalid'],
  ];
  for (const [name, make, at, expected] of rows) test(`${name} → ${expected}`, () => expect(issuer.check(make(), ADDR, at)).toBe(expected));
});
