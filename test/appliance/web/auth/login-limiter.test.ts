import { expect, test } from 'bun:test';
import { LoginLimiter, sourceKey } from '../../../../appliance/web/auth/login-limiter.ts';
import { isCrossOrigin } from '../../../../appliance/web/auth/request-origin.ts';
import { SessionTable } from '../../../../appliance/web/auth/sessions.ts';

const limits = { freeFailures: 3, baseLockMs: 1000, maxLockMs: 8000, maxSources: 50 };

test('failures beyond the free ones lock the client for a doubling time, capped', () => {
  const l = new LoginLimiter(limits);
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    l.failed('a', 0);
    waits.push(l.waitMs('a', 0));
  }
  expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 8000]);
  expect(l.waitMs('b', 0)).toBe(0);
  l.succeeded('a');
  expect(l.waitMs('a', 0)).toBe(0);
});

test('failures spread over many clients lock each of them, never another one', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 40; i++) for (let k = 0; k < 3; k++) l.failed(`10.0.0.${i}`, 0);
  expect(l.waitMs('10.0.0.7', 0)).toBe(1000);
  expect(l.waitMs('10.0.0.99', 0)).toBe(0);
});

test('the table is bounded: a spray of fresh sources is forgotten before a locked one', () => {
  const l = new LoginLimiter(limits);
  for (let k = 0; k < 5; k++) l.failed('192.0.2.1', 0); // locked for 4 s
  for (let i = 0; i < 10_000; i++) l.failed(`198.51.${i >> 8}.${i & 255}`, 1);
  expect(l.size).toBeLessThanOrEqual(50);
  expect(l.waitMs('192.0.2.1', 1)).toBeGreaterThan(0);
});

test.each([
  ['192.0.2.7', '192.0.2.7'],
  ['::ffff:192.0.2.7', '192.0.2.7'],
  ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
  ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
  ['2001:0db8::1', '2001:db8:0:0::/64'],
  ['::1', '0:0:0:0::/64'],
])('source key of %p is %p (IPv6 per /64)', (address, key) => expect(sourceKey(address)).toBe(key));

test('sessions end when idle or too old', () => {
  const t = new SessionTable({ idleMs: 100, absoluteMs: 1000 });
  const s = t.create(0);
  expect(t.get(s.id, 90)).toBe(s);
  expect(t.get(s.id, 180)).toBe(s); // touched at 90
  expect(t.get(s.id, 300)).toBeUndefined();
  const old = t.create(0);
  for (let now = 50; now < 1000; now += 50) t.get(old.id, now);
  expect(t.get(old.id, 1001)).toBeUndefined();
  expect(t.get('nope')).toBeUndefined();
});

test.each([
  [{}, false],
  [{ origin: 'http://appliance.lan:8080' }, false],
  [{ origin: 'http://evil.example' }, true],
  [{ origin: 'null' }, true],
  [{ 'sec-fetch-site': 'cross-site' }, true],
  [{ 'sec-fetch-site': 'same-site' }, true],
  [{ 'sec-fetch-site': 'same-origin', origin: 'http://appliance.lan:8080' }, false],
] as [Record<string, string>, boolean][])('cross-origin check %p → %p', (headers, cross) => {
  const req = new Request('http://appliance.lan:8080/api/extensions', { method: 'POST', headers: { host: 'appliance.lan:8080', ...headers } });
  expect(isCrossOrigin(req)).toBe(cross);
});
