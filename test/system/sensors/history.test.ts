import { describe, expect, test } from 'bun:test';
import { History } from '../../../system/sensors/history.ts';

describe('History', () => {
  test('keeps the newest `capacity` entries, oldest first', () => {
    const h = new History<number>(3);
    expect(h.size).toBe(0);
    expect(h.toArray()).toEqual([]);
    expect(h.last()).toBeUndefined();
    h.push(1);
    h.push(2);
    expect(h.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) h.push(i);
    expect(h.size).toBe(3);
    expect(h.toArray()).toEqual([5, 6, 7]);
    expect(h.last()).toBe(7);
  });

  test('latest(n): the newest n, oldest first, clamped to size', () => {
    const h = new History<string>(4);
    for (const x of ['a', 'b', 'c', 'd', 'e', 'f']) h.push(x);
    expect(h.latest(2)).toEqual(['e', 'f']);
    expect(h.latest(10)).toEqual(['c', 'd', 'e', 'f']);
    expect(h.latest(0)).toEqual([]);
    expect(h.latest(-3)).toEqual([]);
  });

  test('capacity 1, clear, invalid capacity', () => {
    const h = new History<number>(1);
    h.push(1);
    h.push(2);
    expect(h.toArray()).toEqual([2]);
    h.clear();
    expect(h.size).toBe(0);
    h.push(3);
    expect(h.toArray()).toEqual([3]);
    expect(() => new History(0)).toThrow(RangeError);
    expect(() => new History(2.5)).toThrow(RangeError);
  });

  test('returned arrays are copies', () => {
    const h = new History<number>(2);
    h.push(1);
    const a = h.toArray();
    a.push(99);
    expect(h.toArray()).toEqual([1]);
  });
});
