import { describe, expect, test } from 'bun:test';
import { SourceGuard, type Ban, type GuardSettings } from '../../../../appliance/sip/security/source-guard.ts';
import { DialogTokens } from '../../../../appliance/sip/security/dialog-token.ts';
import { NonceCounts } from '../../../../appliance/sip/auth/nonce-counts.ts';

const SETTINGS: GuardSettings = { banAfterFailures: 5, failureWindowMs: 300_000, rateLimit: 600, rateWindowMs: 2000, banMs: 1_800_000 };
const T0 = 1_700_000_000_000;

function guard(s: Partial<GuardSettings> = {}, exempt: (a: string) => boolean = () => false, max?: number) {
  const bans: Ban[] = [];
  return { g: new SourceGuard({ ...SETTINGS, ...s }, exempt, (b) => bans.push(b), max), bans };
}

describe('SourceGuard: failed logins (fail2ban)', () => {
  const rows: [string, number[], boolean][] = [
    ['4 failures in the window: not banned', [0, 1, 2, 3], false],
    ['5 failures in the window: banned', [0, 1, 2, 3, 4], true],
    ['5 failures spread beyond the window: not banned', [0, 100_000, 200_000, 301_000, 400_000], false],
    ['5 failures, the first just out of the window, a sixth inside: banned', [0, 10, 20, 30, 300_001, 300_002], true],
  ];
  for (const [name, at, banned] of rows) {
    test(name, () => {
      const { g, bans } = guard();
      for (const t of at) g.failed('192.0.2.1', T0 + t);
      expect(g.isBanned('192.0.2.1', T0 + at.at(-1)!)).toBe(banned);
      expect(bans.length).toBe(banned ? 1 : 0);
    });
  }
  test('a ban ends after ban_seconds, and only the guilty address is banned', () => {
    const { g } = guard();
    for (let i = 0; i < 5; i++) g.failed('192.0.2.1', T0);
    expect(g.admit('192.0.2.1', T0 + 1)).toBe(false);
    expect(g.admit('192.0.2.2', T0 + 1)).toBe(true);
    expect(g.admit('192.0.2.1', T0 + SETTINGS.banMs + 1)).toBe(true);
  });
  test('exempt (trusted) sources are never banned, not even by a remote ban', () => {
    const { g } = guard({}, (a) => a === '192.0.2.9');
    for (let i = 0; i < 50; i++) g.failed('192.0.2.9', T0);
    g.apply({ address: '192.0.2.9', reason: 'x', since: T0, until: T0 + 1e9 });
    expect(g.admit('192.0.2.9', T0)).toBe(true);
  });
  test('lift and sync (the admin lifted a ban in the store)', () => {
    const { g } = guard();
    for (let i = 0; i < 5; i++) g.failed('192.0.2.1', T0);
    g.apply({ address: '192.0.2.3', reason: 'other worker', since: T0, until: T0 + 10_000 });
    g.sync([{ address: '192.0.2.3', reason: 'other worker', since: T0, until: T0 + 10_000 }]);
    expect(g.isBanned('192.0.2.1', T0)).toBe(false);
    expect(g.isBanned('192.0.2.3', T0)).toBe(true);
    expect(g.lift('192.0.2.3')).toBe(true);
    expect(g.list(T0)).toEqual([]);
  });
});

describe('SourceGuard: request rate (pike)', () => {
  test('600 requests in 2 s pass, the 601st bans; a phone at 10/s for a minute never does', () => {
    const { g, bans } = guard();
    for (let i = 0; i < 600; i++) expect(g.admitRequest('192.0.2.5', T0 + i)).toBe(true);
    expect(g.admitRequest('192.0.2.5', T0 + 700)).toBe(false);
    expect(g.admit('192.0.2.5', T0 + 701)).toBe(false);
    expect(bans[0].reason).toContain('more than 600 requests');
    for (let i = 0; i < 600; i++) expect(g.admitRequest('192.0.2.6', T0 + i * 100)).toBe(true);
  });
  test('rate_limit = 0 turns it off', () => {
    const { g } = guard({ rateLimit: 0 });
    for (let i = 0; i < 10_000; i++) expect(g.admitRequest('192.0.2.7', T0)).toBe(true);
  });
  test('memory is bounded: a spray of source addresses keeps at most maxTracked counters', () => {
    const { g } = guard({}, () => false, 1000);
    for (let i = 0; i < 20_000; i++) g.admitRequest(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0);
    expect((g as unknown as { counters: Map<string, unknown> }).counters.size).toBeLessThanOrEqual(1000);
  });
});

describe('DialogTokens', () => {
  const t = new DialogTokens('secret-1');
  const token = t.issue('call-1@host', 'tagA');
  const rows: [string, string | undefined, string, string | undefined, string | undefined, boolean][] = [
    ['caller request (From tag is the caller tag)', token, 'call-1@host', 'tagA', 'tagB', true],
    ['callee request (To tag is the caller tag)', token, 'call-1@host', 'tagB', 'tagA', true],
    ['another Call-ID', token, 'call-2@host', 'tagA', 'tagB', false],
    ['other tags', token, 'call-1@host', 'tagX', 'tagY', false],
    ['no token', undefined, 'call-1@host', 'tagA', 'tagB', false],
    ['not hex', 'zzzzzzzzzzzzzzzzzzzz', 'call-1@host', 'tagA', 'tagB', false],
    ['a token of another secret', new DialogTokens('secret-2').issue('call-1@host', 'tagA'), 'call-1@host', 'tagA', 'tagB', false],
  ];
  for (const [name, tok, callId, from, to, ok] of rows) test(`${name} → ${ok}`, () => expect(t.verify(tok, callId, from, to)).toBe(ok));
});

describe('NonceCounts', () => {
  test('each (nonce, nc) once; without qop single-use; expired entries forgotten', () => {
    const c = new NonceCounts(1000);
    expect(c.use('n1', 1, T0)).toBe(true);
    expect(c.use('n1', 1, T0)).toBe(false);
    expect(c.use('n1', 2, T0)).toBe(true);
    expect(c.use('n2', 0, T0)).toBe(true);
    expect(c.use('n2', 0, T0)).toBe(false);
    expect(c.use('n1', 1, T0 + 2000)).toBe(true);
  });
  test('bounded', () => {
    const c = new NonceCounts(60_000, 500);
    for (let i = 0; i < 5000; i++) c.use(`n${i}`, 1, T0);
    expect(c.size).toBeLessThanOrEqual(500);
  });
});
