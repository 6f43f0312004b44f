import { describe, expect, test } from 'bun:test';
import { formatValue, recentMean, timeLabel, timeTicks, valueScale } from '../../web-ui/chart-scale.ts';

/** The dashboard charts' scales (web-ui/chart-scale.ts), table-driven. */
describe('value axis', () => {
  const cases: [string, number, Parameters<typeof valueScale>[1], number, number[]][] = [
    ['a count of 1: 0 and 1, never 0.5', 1, { integer: true }, 1, [0, 1]],
    ['a count of 3', 3, { integer: true }, 3, [0, 1, 2, 3]],
    ['no data at all, a count', 0, { integer: true }, 1, [0, 1]],
    ['a count of 150', 150, { integer: true }, 150, [0, 50, 100, 150]],
    ['a count of 151: the next round top', 151, { integer: true }, 200, [0, 50, 100, 150, 200]],
    ['a count of 7: whole steps of 2', 7, { integer: true }, 8, [0, 2, 4, 6, 8]],
    ['percent: fixed top', 12, { max: 100 }, 100, [0, 25, 50, 75, 100]],
    ['a rate of 7.7', 7.7, {}, 8, [0, 2, 4, 6, 8]],
    ['a small rate', 0.3, {}, 0.3, [0, 0.1, 0.2, 0.3]],
  ];
  test.each(cases)('%s', (_name, max, opts, top, ticks) => {
    const s = valueScale(max, opts);
    expect(s.top).toBe(top);
    expect(s.ticks).toEqual(ticks);
  });
});

describe('time axis', () => {
  // UTC in these cases (offset 0); 10:00:00 UTC = 1_700_000_000_000 - (1_700_000_000_000 % 86_400_000) + 10 h.
  const day = 1_700_000_000_000 - (1_700_000_000_000 % 86_400_000);
  const at = (h: number, m: number, s = 0) => day + ((h * 60 + m) * 60 + s) * 1000;
  const cases: [string, number, number, number, number, number][] = [
    ['16 s of samples: every 5 s', at(10, 0, 1), at(10, 0, 17), 4, 5_000, 3],
    ['5 min of samples: every 2 min at most 4 labels', at(10, 0, 10), at(10, 5, 10), 4, 120_000, 2],
    ['5 min, room for 6: every minute', at(10, 0, 10), at(10, 5, 10), 6, 60_000, 5],
    ['an hour', at(9, 58), at(10, 58), 5, 900_000, 4],
  ];
  test.each(cases)('%s', (_name, t0, t1, most, step, count) => {
    const t = timeTicks(t0, t1, most, 0);
    expect(t.step).toBe(step);
    expect(t.ticks).toHaveLength(count);
    for (const x of t.ticks) {
      expect(x % step).toBe(0);
      expect(x).toBeGreaterThanOrEqual(t0);
      expect(x).toBeLessThanOrEqual(t1);
    }
  });
  test('one sample, or none: no ticks', () => {
    expect(timeTicks(at(10, 0), at(10, 0), 4, 0).ticks).toEqual([]);
  });
  test('labels: seconds only below a minute', () => {
    const t = new Date(2026, 0, 5, 9, 7, 30).getTime();
    expect(timeLabel(t, 5_000)).toBe('09:07:30');
    expect(timeLabel(t, 60_000)).toBe('09:07');
  });
});

describe('values and the CPU tile', () => {
  test.each([[0, '0'], [0.25, '0.25'], [2.5, '2.5'], [12.34, '12.3'], [150, '150'], [100, '100']] as const)('%p → %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });
  const cases: [string, (number | null)[], number, { mean: number; count: number } | null][] = [
    ['the last 5 of a jumping CPU', [10, 90, 10, 90, 10, 90, 10, 90, 10], 5, { mean: 42, count: 5 }],
    ['an unavailable sample is skipped, not taken for 0', [50, null, 70], 5, { mean: 60, count: 2 }],
    ['fewer samples than the window', [30], 5, { mean: 30, count: 1 }],
    ['nothing known', [null, null], 5, null],
    ['an old value outside the window does not count', [99, null, null, null, null, null], 5, null],
  ];
  test.each(cases)('%s', (_name, values, n, want) => {
    expect(recentMean(values, n)).toEqual(want);
  });
});
