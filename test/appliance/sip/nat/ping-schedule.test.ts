import { describe, expect, test } from 'bun:test';
import { answered, duePings, firstPing, lost, MAX_PINGS_PER_TICK, pingsPerTick, sent, type PingState } from '../../../../appliance/sip/nat/ping-schedule.ts';

const state = (over: Partial<PingState> = {}): PingState => ({ nextAt: 0, failures: 0, pending: false, seen: 0, ...over });

describe('NAT ping schedule', () => {
  test('first pings are spread over one interval, stable per key', () => {
    const at = Array.from({ length: 1000 }, (_, i) => firstPing(`sip:${i}@office.lan|sip:${i}@10.0.0.1`, 0, 1_000_000, 25_000).nextAt - 1_000_000);
    for (const d of at) expect(d).toBeGreaterThanOrEqual(0), expect(d).toBeLessThan(25_000);
    // Spread: each fifth of the interval gets 10-30 % of the first pings, not all of them.
    for (let q = 0; q < 5; q++) {
      const n = at.filter((d) => d >= q * 5000 && d < (q + 1) * 5000).length;
      expect(n).toBeGreaterThan(100);
      expect(n).toBeLessThan(300);
    }
    expect(firstPing('k', 0, 0, 25_000).nextAt).toBe(firstPing('k', 5, 0, 25_000).nextAt);
  });

  const perTick: [string, number, number, number, number][] = [
    ['no bindings: still 1', 0, 25_000, 1000, 1],
    ['100 bindings over 25 s in 1 s ticks: 8 (twice the share of 4)', 100, 25_000, 1000, 8],
    ['a few: at least 1', 3, 25_000, 1000, 1],
    ['100,000 bindings: capped', 100_000, 25_000, 1000, MAX_PINGS_PER_TICK],
  ];
  for (const [name, count, interval, tick, want] of perTick) test(`pingsPerTick: ${name}`, () => expect(pingsPerTick(count, interval, tick)).toBe(want));

  test('duePings: only due ones, most overdue first, at most cap', () => {
    const states: [string, PingState][] = [['a', state({ nextAt: 50 })], ['b', state({ nextAt: 10 })], ['c', state({ nextAt: 200 })], ['d', state({ nextAt: 30 })]];
    expect(duePings(states, 100, 10)).toEqual(['b', 'd', 'a']);
    expect(duePings(states, 100, 2)).toEqual(['b', 'd']);
    expect(duePings(states, 5, 10)).toEqual([]);
  });

  test('sent → pending, next due one interval later; an answer of any kind clears failures', () => {
    const s = sent(state({ failures: 2 }), 1000, 25_000);
    expect(s).toMatchObject({ pending: true, nextAt: 26_000, failures: 2 });
    expect(answered(s)).toMatchObject({ pending: false, failures: 0, nextAt: 26_000 });
  });

  const losses: [string, number, number, boolean][] = [
    ['first loss of 3', 0, 3, false],
    ['second loss of 3', 1, 3, false],
    ['third loss of 3 drops', 2, 3, true],
    ['0 never drops', 50, 0, false],
    ['1 drops at once', 0, 1, true],
  ];
  for (const [name, before, max, drop] of losses) {
    test(`lost: ${name}`, () => {
      const r = lost(state({ failures: before, pending: true }), max);
      expect(r.drop).toBe(drop);
      expect(r.state).toMatchObject({ failures: before + 1, pending: false });
    });
  }
});
