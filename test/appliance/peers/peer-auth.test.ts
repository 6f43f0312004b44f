import { describe, expect, test } from 'bun:test';
import { PEER_NONCE, PEER_TIMESTAMP, PeerVerifier, peerHeaders, signPeerRequest } from '../../../appliance/peers/peer-auth.ts';

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

  // A hand-off asked again at once has the same body in the same second: two requests, not a replay.
  test('the same body twice in one second: two nonces, both accepted', () => {
    const v = verifier();
    const [r1, r2] = [request(), request()];
    expect(r1.headers.get(PEER_NONCE)).not.toBe(r2.headers.get(PEER_NONCE));
    expect(v.verify('POST', r1.path, r1.body, r1.headers, NOW)).toEqual({ ok: true, peer: 'a' });
    expect(v.verify('POST', r2.path, r2.body, r2.headers, NOW)).toEqual({ ok: true, peer: 'a' });
  });

  test('a request without a nonce (an earlier version) is accepted once, then a replay', () => {
    const v = verifier();
    const ts = Math.floor(NOW / 1000);
    const headers = new Headers({ 'x-peer-name': 'a', 'x-peer-timestamp': String(ts), 'x-peer-signature': signPeerRequest(SECRET, 'POST', '/peer/heartbeat', '{}', ts) });
    expect(v.verify('POST', '/peer/heartbeat', '{}', headers, NOW)).toEqual({ ok: true, peer: 'a' });
    expect(v.verify('POST', '/peer/heartbeat', '{}', headers, NOW)).toEqual({ ok: false, reason: 'replayed request' });
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
    ['nonce edited', () => {
      const r = request();
      r.headers.set(PEER_NONCE, 'ab'.repeat(12));
      return verifier().verify('POST', r.path, r.body, r.headers, NOW);
    }, 'bad signature'],
    ['nonce removed', () => {
      const r = request();
      r.headers.delete(PEER_NONCE);
      return verifier().verify('POST', r.path, r.body, r.headers, NOW);
    }, 'bad signature'],
    ['nonce not hex', () => {
      const r = request();
      r.headers.set(PEER_NONCE, 'x'.repeat(24));
      return verifier().verify('POST', r.path, r.body, r.headers, NOW);
    }, 'missing or malformed signature'],
    ['no signature', () => verifier().verify('POST', '/peer/heartbeat', '{}', new Headers({ 'x-peer-name': 'a', 'x-peer-timestamp': String(NOW / 1000) }), NOW), 'missing or malformed signature'],
  ];
  for (const [name, run, reason] of cases) {
    test(`refused: ${name}`, () => expect(run()).toEqual({ ok: false, reason }));
  }
});
