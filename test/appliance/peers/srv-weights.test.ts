import { describe, expect, test } from 'bun:test';
import { DEFAULT_SRV_WEIGHTS as S, INITIAL_SRV_MEMORY, PRIORITY_BUSY, PRIORITY_SERVING, srvPlaces, targetWeight, type MemberLoad, type SrvWeightMemory } from '../../../appliance/peers/srv-weights.ts';

const m = (name: string, over: Partial<MemberLoad> = {}): MemberLoad => ({ name, cpuShare: 0, temperature: null, overloaded: false, handedOff: false, ...over });

describe('targetWeight: 100 × headroom × thermal factor, at least 1', () => {
  test.each([
    ['idle, no sensor', m('a'), 100],
    ['half busy', m('a', { cpuShare: 0.5 }), 50],
    ['saturated', m('a', { cpuShare: 1 }), 1],
    ['unknown load (an older peer)', m('a', { cpuShare: undefined }), 50],
    ['cool (below critical − 15 °C)', m('a', { temperature: 70 }), 100],
    ['warm: 80 °C of 90 critical', m('a', { temperature: 80 }), 67],
    ['at critical', m('a', { temperature: 90 }), 1],
    ['busy and warm', m('a', { cpuShare: 0.4, temperature: 85 }), 20],
    ['nonsense above 1 cpuShare', m('a', { cpuShare: 1.7 }), 1],
  ])('%s → %d', (_, load, want) => {
    expect(targetWeight(load, S)).toBe(want);
  });
});

describe('srvPlaces: bounded rate, hysteresis, priorities', () => {
  test('first time: every member at its target, equal priority', () => {
    const { places, memory } = srvPlaces([m('a', { cpuShare: 0.3 }), m('b')], INITIAL_SRV_MEMORY, 1000);
    expect(Object.fromEntries(places)).toEqual({ a: { priority: PRIORITY_SERVING, weight: 70 }, b: { priority: PRIORITY_SERVING, weight: 100 } });
    expect(memory).toEqual({ weights: { a: 70, b: 100 }, changedAt: 1000 });
  });

  // Each row: memory before, A's load now, time since the last change → A's weight after.
  const before: SrvWeightMemory = { weights: { a: 100, b: 100 }, changedAt: 0 };
  test.each([
    ['a small wobble stays inside the deadband', 0.05, 10_000, 100],
    ['just under the deadband', 0.09, 10_000, 100],
    ['at the deadband it moves', 0.1, 10_000, 90],
    ['a big jump moves by at most maxStep', 0.9, 10_000, 75],
    ['too soon after the last change: nothing moves', 0.9, S.minIntervalMs - 1, 100],
    ['exactly minIntervalMs later it may', 0.9, S.minIntervalMs, 75],
  ])('%s', (_, cpuShare, after, want) => {
    const { places } = srvPlaces([m('a', { cpuShare }), m('b')], before, after);
    expect(places.get('a')!.weight).toBe(want);
    expect(places.get('b')!.weight).toBe(100);
  });

  test('a load step is followed in bounded steps, minIntervalMs apart, then held; and back', () => {
    let memory: SrvWeightMemory = { weights: { a: 100, b: 100 }, changedAt: 0 };
    const seen: number[] = [];
    for (let t = 1000; t <= 40_000; t += 1000) {
      const out = srvPlaces([m('a', { cpuShare: 0.8 }), m('b', { cpuShare: 0.05 })], memory, t);
      memory = out.memory;
      seen.push(out.places.get('a')!.weight);
    }
    // 100 → 75 at 5 s, → 50 at 10 s, → 25 at 15 s, then 20 is within the deadband: held at 25.
    expect([seen[4], seen[9], seen[14], seen[39]]).toEqual([75, 50, 25, 25]);
    expect(new Set(seen)).toEqual(new Set([100, 75, 50, 25]));
    // B's 95 is within the deadband of its 100: unchanged.
    expect(memory.weights.b).toBe(100);
    const back = srvPlaces([m('a'), m('b')], memory, 45_000);
    expect(back.places.get('a')!.weight).toBe(50);
  });

  test.each([
    ['overloaded', { overloaded: true }],
    ['handed off', { handedOff: true }],
  ])('%s: tried after the others', (_, over) => {
    const { places } = srvPlaces([m('a', over), m('b')], INITIAL_SRV_MEMORY, 0);
    expect(places.get('a')!.priority).toBe(PRIORITY_BUSY);
    expect(places.get('b')!.priority).toBe(PRIORITY_SERVING);
  });

  test('a member that left and came back starts at its target again', () => {
    const { places } = srvPlaces([m('a'), m('c', { cpuShare: 0.6 })], { weights: { a: 100, b: 20 }, changedAt: 0 }, 1);
    expect(places.get('c')!.weight).toBe(40);
    expect(places.has('b')).toBe(false);
  });
});
