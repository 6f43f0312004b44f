import { describe, expect, test } from 'bun:test';
import { CLOCK_SKEW_LOG_INTERVAL_MS, clockSample, clockSkewed, ClockWatch, type ClockSample } from '../../../appliance/peers/clock-skew.ts';

describe('clock skew between members (issue 19)', () => {
  const samples: [string, number, number, unknown, ClockSample | undefined][] = [
    ['in step, 10 ms round trip', 1000, 1010, 1005, { offsetMs: 0, uncertaintyMs: 5 }],
    ['peer 5 s ahead', 1000, 1020, 6010, { offsetMs: 5000, uncertaintyMs: 10 }],
    ['peer 3 s behind', 10_000, 10_100, 7050, { offsetMs: -3000, uncertaintyMs: 50 }],
    ['no timestamp (an older peer)', 1000, 1010, undefined, undefined],
    ['not a number', 1000, 1010, '1005', undefined],
    ['infinite', 1000, 1010, Infinity, undefined],
    ['our clock went back during the round trip', 1010, 1000, 1005, undefined],
  ];
  test.each(samples)('sample: %s', (_n, sent, received, ts, expected) => {
    expect(clockSample(sent, received, ts)).toEqual(expected);
  });

  const verdicts: [string, ClockSample, boolean][] = [
    ['1.9 s: within', { offsetMs: 1900, uncertaintyMs: 5 }, false],
    ['2.5 s ahead', { offsetMs: 2500, uncertaintyMs: 5 }, true],
    ['2.5 s behind', { offsetMs: -2500, uncertaintyMs: 5 }, true],
    ['2.5 s but ± 600 ms: not certainly above', { offsetMs: 2500, uncertaintyMs: 600 }, false],
    ['exactly at the limit', { offsetMs: 2000, uncertaintyMs: 0 }, false],
  ];
  test.each(verdicts)('skewed: %s', (_n, s, skewed) => {
    expect(clockSkewed(s)).toBe(skewed);
  });

  test('one warning per peer per interval, one "ok" after it, flapping costs nothing more', () => {
    const events: [string, unknown][] = [];
    const w = new ClockWatch((kind, _m, d) => events.push([kind, d?.peer]));
    const off = { offsetMs: 5000, uncertaintyMs: 5 };
    const ok = { offsetMs: 10, uncertaintyMs: 5 };
    w.note('b', off, 0);
    w.note('b', off, 1000);
    w.note('c', off, 1000);
    w.note('b', ok, 2000);
    w.note('b', off, 3000); // flapping within the interval: silent
    w.note('b', ok, 4000);
    w.note('b', off, CLOCK_SKEW_LOG_INTERVAL_MS + 1);
    expect(events).toEqual([['peer.clock.skewed', 'b'], ['peer.clock.skewed', 'c'], ['peer.clock.ok', 'b'], ['peer.clock.skewed', 'b']]);
    expect(w.of('b')).toEqual({ ...off, at: CLOCK_SKEW_LOG_INTERVAL_MS + 1, skewed: true });
    expect(w.of('d')).toBeNull();
  });
});
