import { describe, expect, test } from 'bun:test';
import { chooseSibling, type SiblingLoad } from '../../../../appliance/sip/pipeline/spread-choice.ts';

const S = { maxLagMs: 50, maxAgeMs: 300 };
const NOW = 10_000;
const load = (workerId: number, share: number, lagMs: number, ageMs = 0): SiblingLoad => ({ workerId, share, lagMs, at: NOW - ageMs });

describe('chooseSibling', () => {
  const rows: [string, SiblingLoad[], number, number | undefined][] = [
    ['no siblings: none', [], 0, undefined],
    ['one with room', [load(2, 1, 5)], 0, 2],
    ['one that sheds itself (share < 1): none', [load(2, 0.7, 5)], 0, undefined],
    ['one lagging at the limit: none', [load(2, 1, 50)], 0, undefined],
    ['one just below the limit', [load(2, 1, 49.9)], 0, 2],
    ['a beacon older than maxAgeMs: none (stopped, stuck or gone)', [load(2, 1, 5, 301)], 0, undefined],
    ['a draining sibling says share 0: none', [load(2, 0, 0)], 0, undefined],
    ['two with room take turns: turn 0', [load(3, 1, 5), load(2, 1, 30)], 0, 2],
    ['two with room take turns: turn 1', [load(3, 1, 5), load(2, 1, 30)], 1, 3],
    ['two with room take turns: turn 2', [load(3, 1, 5), load(2, 1, 30)], 2, 2],
    ['only the one with room, whatever the turn', [load(3, 1, 5), load(2, 0.5, 5)], 7, 3],
  ];
  for (const [name, loads, turn, expected] of rows) test(name, () => expect(chooseSibling(loads, NOW, turn, S)).toBe(expected));
});

describe('chooseSibling: none calm, one admitting at least twice our share', () => {
  const rows: [string, SiblingLoad[], number, number | undefined][] = [
    ['ours 0.2, its 0.7: it takes it', [load(2, 0.7, 5)], 0.2, 2],
    ['ours 0.2, its 0.4 (exactly twice): it takes it', [load(2, 0.4, 5)], 0.2, 2],
    ['ours 0.2, its 0.3: none (we refuse it here)', [load(2, 0.3, 5)], 0.2, undefined],
    ['the roomier of two', [load(2, 0.5, 5), load(3, 0.9, 5)], 0.1, 3],
    ['a calm one before a roomier one', [load(2, 0.9, 5), load(3, 1, 5)], 0.1, 3],
    ['roomier but lagging at the limit: none', [load(2, 0.9, 50)], 0.1, undefined],
    ['roomier but silent: none', [load(2, 0.9, 5, 301)], 0.1, undefined],
    ['a draining sibling (share 0) even when ours is at the floor: none', [load(2, 0, 0)], 0.02, undefined],
  ];
  for (const [name, loads, own, expected] of rows) test(name, () => expect(chooseSibling(loads, NOW, 0, S, own)).toBe(expected));
});
