import { describe, expect, test } from 'bun:test';
import { PEER_TIMESTAMP, PeerVerifier, peerHeaders } from '../../../appliance/peers/peer-auth.ts';

const SECRET = 'a-shared-secret-of-some-length';
const verifier = () => new PeerVerifier(new Map([['a', SECRET]]));
const NOW = 1_800_000_000_000;

function request(name = 'a', secret = SECRET, body = '{"x":1}', now = NOW, path = '/peer/heartbeat') {
  return { body, path, headers: new Headers(peerHeaders(name, secret, 'POST', path, body, now)) };
}

describe('peer request authentication (HMAC over method, path, body, timestamp)', () => {
  test('a correctly signed request passes once; the same bytes again are a replay', () => {
    const v = verifier();
    const r = request();
    expect(v.verify('POST', r.path, r.body, r.headers, NOW)).toEqual({ ok: true, peer: 'a' });
    expect(v.verify('POST', r.path, r.body, r.headers, NOW + 1000)).toEqual({ ok: false, reason: 'replayed request' });
  });

  const cases: [string, () => { ok: boolean; reason?: string }, string][] = [
    ['wrong secret', () => { const r = request('a', 'another-secret-of-some-length'); return verifier().verify('POST', r.path, r.body, r.headers, NOW); }, 'bad signature'],
    ['unknown peer', () => { const r = request('z'); return verifier().verify('POST', r.path, r.body, r.headers, NOW); }, 'unknown peer'],
    ['body changed', () => { const r = request(); return verifier().verify('POST', r.path, '{"x":2}', r.headers, NOW); }, 'bad signature'],
    ['path changed', () => { const r = request(); return verifier().verify('POST', '/peer/bindings', r.body, r.headers, NOW); }, 'bad signature'],
    ['method changed', () => { const r = request(); return verifier().verify('PUT', r.path, r.body, r.headers, NOW); }, 'bad signature'],
    ['timestamp 31 s old', () => { const r = request(); return verifier().verify('POST', r.path, r.body, r.headers, NOW + 31_000); }, 'stale timestamp'],
    ['timestamp 31 s ahead', () => { const r = request(); return verifier().verify('POST', r.path, r.body, r.headers, NOW - 31_000); }, 'stale timestamp'],
    ['timestamp edited', () => {
      const r = request();
      r.headers.set(PEER_TIMESTAMP, String(Number(r.headers.get(PEER_TIMESTAMP)) + 1));
      return verifier().verify('POST', r.path, r.body, r.headers, NOW);
    }, 'bad signature'],
    ['no signature', () => verifier().verify('POST', '/peer/heartbeat', '{}', new Headers({ 'x-peer-name': 'a', 'x-peer-timestamp': String(NOW / 1000) }), NOW), 'missing or malformed signature'],
  ];
  for (const [name, run, reason] of cases) {
    test(`refused: ${name}`, () => expect(run()).toEqual({ ok: false, reason }));
  }
});
