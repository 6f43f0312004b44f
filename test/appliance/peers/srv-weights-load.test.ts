import { describe, expect, test } from 'bun:test';
import { DEFAULT_SRV_WEIGHTS, INITIAL_SRV_MEMORY, srvPlaces, targetWeight, type MemberLoad } from '../../../appliance/peers/srv-weights.ts';

/**
 * Load-weighted SRV (issue 19), by load alone (no temperature): the heartbeat-reported CPU share
 * of a member's workers moves its weight, stepwise and with hysteresis, and back when it falls.
 */
const member = (name: string, cpuShare: number | undefined): MemberLoad => ({ name, cpuShare, temperature: null, overloaded: false, handedOff: false });

describe('SRV weights follow the reported load', () => {
  test.each([
    [0, 100], [0.2, 80], [0.5, 50], [0.8, 20], [0.995, 1], [1, 1], [undefined, 50],
  ])('CPU share %p asks for weight %p', (share, weight) => {
    expect(targetWeight(member('b', share as number | undefined), DEFAULT_SRV_WEIGHTS)).toBe(weight);
  });

  test('a member going to 80 % falls 100 -> 75 -> 50 -> 25 (its target 20 inside the deadband), a step per 5 s; the idle one stays at 100; back up after', () => {
    let memory = INITIAL_SRV_MEMORY;
    let now = 1_000_000;
    const weights = (a: number, b: number) => {
      const r = srvPlaces([member('a', a), member('b', b)], memory, now);
      memory = r.memory;
      return [r.places.get('a')!.weight, r.places.get('b')!.weight];
    };
    expect(weights(0, 0)).toEqual([100, 100]);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      now += 5_000;
      const [a, b] = weights(0, 0.8);
      expect(a).toBe(100);
      seen.push(b!);
    }
    // 25 stays: the target 20 is inside the deadband (10), so the records do not flap.
    expect(seen).toEqual([75, 50, 25, 25, 25, 25]);
    now += 5_000;
    expect(weights(0, 0)).toEqual([100, 50]);
    // Sooner than 5 s after a change: no move, however the load changes.
    now += 1_000;
    expect(weights(0, 0)).toEqual([100, 50]);
    now += 4_000;
    expect(weights(0, 0)).toEqual([100, 75]);
    now += 5_000;
    expect(weights(0, 0.05)).toEqual([100, 95]);
  });
});
