import { describe, expect, test } from 'bun:test';
import { lastMatch } from '../../../system/schedule/schedule.ts';

const at = (iso: string) => new Date(iso);
const H = 3_600_000;

describe('lastMatch: the latest start of a cron expression within a look-back', () => {
  test.each([
    ['0 2 * * *', '2026-12-03T02:30:10Z', 1 * H, '2026-12-03T02:00:00.000Z'],
    ['0 2 * * *', '2026-12-03T02:00:00Z', 1 * H, '2026-12-03T02:00:00.000Z'],
    ['0 2 * * *', '2026-12-03T03:00:01Z', 1 * H, null],
    ['0 2 * * *', '2026-12-03T01:59:59Z', 23 * H, null],
    ['0 2 * * *', '2026-12-03T01:59:59Z', 24 * H, '2026-12-02T02:00:00.000Z'],
    ['*/20 * * * * *', '2026-12-03T02:30:19Z', 60_000, '2026-12-03T02:30:00.000Z'],
    ['*/20 * * * * *', '2026-12-03T02:30:45Z', 60_000, '2026-12-03T02:30:40.000Z'],
    ['7 * * * * *', '2026-12-03T02:30:06Z', 10_000, null],
    ['7 * * * * *', '2026-12-03T02:30:06Z', 60_000, '2026-12-03T02:29:07.000Z'],
    ['30 1 * * 0', '2026-12-06T02:00:00Z', 1 * H, '2026-12-06T01:30:00.000Z'], // a Sunday
    ['30 1 * * 0', '2026-12-07T02:00:00Z', 1 * H, null], // a Monday
  ])('%s at %s looking back %d ms → %s', (expr, when, back, want) => {
    expect(lastMatch(expr, at(when), back, 'UTC')?.toISOString() ?? null).toBe(want);
  });

  test('a day back is cheap enough for a start (bounded by the minutes and the seconds listed)', () => {
    const t0 = performance.now();
    expect(lastMatch('0 5 * * *', at('2026-12-03T04:59:00Z'), 23 * H, 'UTC')).toBeNull();
    expect(lastMatch('*/30 0 5 * * *', at('2026-12-03T04:59:00Z'), 24 * H, 'UTC')?.toISOString()).toBe('2026-12-02T05:00:30.000Z');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test('an invalid expression throws', () => {
    expect(() => lastMatch('61 * * * *', new Date(), H)).toThrow('invalid schedule expression');
  });
});
