import { describe, expect, test } from 'bun:test';
import { MASKED, maskMessage } from '../../../appliance/sip/trace-mask.ts';

const msg = (...headers: string[]) => ['REGISTER sip:office.lan SIP/2.0', 'Call-ID: a@b', ...headers, 'Content-Length: 0', '', ''].join('\r\n');

describe('maskMessage (credentials in the ladder\'s message text)', () => {
  const cases: { name: string; header: string; keep: string; gone: string[] }[] = [
    { name: 'Authorization digest', header: 'Authorization: Digest username="201",realm="office.lan",nonce="N1",response="abcdef0123"',
      keep: `Authorization: Digest username="201", realm="office.lan", ${MASKED}`, gone: ['N1', 'abcdef0123'] },
    { name: 'lower case, no space, token values', header: 'proxy-authorization:Digest username=201, response=deadbeef, realm=office.lan',
      keep: `proxy-authorization: Digest username=201, realm=office.lan, ${MASKED}`, gone: ['deadbeef'] },
    { name: 'another scheme entirely masked', header: 'Authorization: Bearer eyJhbGciOi.secret.token',
      keep: `Authorization: Bearer ${MASKED}`, gone: ['eyJhbGciOi', 'secret'] },
    { name: 'folded continuation lines go too', header: 'Authorization: Digest username="201",\r\n  response="c0ffee",\r\n\tnonce="zz"',
      keep: `Authorization: Digest username="201", ${MASKED}`, gone: ['c0ffee', 'zz'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = maskMessage(msg(c.header, 'User-Agent: phone'));
      expect(out).toContain(`${c.keep}\r\nUser-Agent: phone\r\n`);
      for (const g of c.gone) expect(out).not.toContain(g);
    });
  }
  test('other headers and the body stay as they are', () => {
    const text = msg('WWW-Authenticate: Digest realm="office.lan", nonce="public-nonce"', 'Contact: <sip:201@10.0.0.5>');
    expect(maskMessage(text)).toBe(text);
  });
});
