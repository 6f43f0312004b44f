import { describe, expect, test } from 'bun:test';
import { IDLE_COLLECT, idleCollectDecision, IdleCollector, INITIAL_IDLE_STATE, type IdleCollectState, type IdleSample } from '../../../appliance/connection-control/idle-collect.ts';

/** Feeds readings one second apart (offered: new requests in that second) and returns the seconds at which it collected. */
function run(readings: readonly { open: number; offered?: number; lagMs?: number }[], start: IdleCollectState = INITIAL_IDLE_STATE): number[] {
  let state = start;
  let offered = 0;
  const at: number[] = [];
  readings.forEach((r, i) => {
    offered += r.offered ?? 0;
    const s: IdleSample = { now: i * 1000, held: r.open, offered, lagMs: r.lagMs ?? 1 };
    const d = idleCollectDecision(state, s);
    state = d.state;
    if (d.collect) at.push(i);
  });
  return at;
}

const repeat = <T>(n: number, r: T): T[] => Array.from({ length: n }, () => r);

describe('idleCollectDecision', () => {
  test.each([
    ['a burst that drains to zero: once, when drained and quiet', [{ open: 0 }, { open: 12_000, offered: 3000 }, ...repeat(30, { open: 12_000 }), { open: 400 }, { open: 0 }, ...repeat(5, { open: 0 })], [32]],
    ['no burst: never (steady office load)', repeat(120, { open: 300, offered: 5 }), []],
    ['drained but new work still offered (above 20/s): not yet', [{ open: 5000, offered: 2000 }, ...repeat(5, { open: 50, offered: 100 }), { open: 50, offered: 3 }], [6]],
    ['drained but the loop is lagging: not yet', [{ open: 5000 }, { open: 10, lagMs: 80 }, { open: 10, lagMs: 5 }], [2]],
    ['still above 5 % of the peak: not yet', [{ open: 20_000 }, { open: 1500 }, { open: 900 }], [2]],
    ['the first reading (no rate known yet) never collects', [{ open: 0 }], []],
  ] as const)('%s', (_name, readings, expected) => {
    expect(run(readings)).toEqual([...expected]);
  });

  test('an attacker pulsing bursts gets at most one collection per minute, never under load', () => {
    // 10 s bursts of 4,000 open transactions at 500 new requests/s, 3 s pauses, for 10 minutes.
    const readings: { open: number; offered: number }[] = [];
    for (let t = 0; t < 600; t++) readings.push(t % 13 < 10 ? { open: 4000, offered: 500 } : { open: 20, offered: 0 });
    const at = run(readings);
    expect(at.length).toBeGreaterThan(0);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(IDLE_COLLECT.minIntervalMs / 1000);
    for (const t of at) expect(readings[t].offered).toBeLessThanOrEqual(IDLE_COLLECT.quietPerSecond);
    expect(at.length).toBeLessThanOrEqual(10);
  });

  test('after a collection the peak starts over: a quiet worker is not collected again', () => {
    const at = run([{ open: 3000 }, { open: 0 }, ...repeat(200, { open: 0 })]);
    expect(at).toEqual([1]);
  });
});

describe('IdleCollector', () => {
  test('collects the garbage of a burst once the worker has drained', async () => {
    // A "burst": transactions held by a table, as the SIP service holds them, then ended.
    const table = new Map<string, { bytes: Uint8Array }>();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = { bytes: new Uint8Array(256) };
      table.set(`z9hG4bK${i}|INVITE`, t);
      refs.push(new WeakRef(t));
    }
    let offered = 0;
    const collected: number[] = [];
    const c = new IdleCollector(() => ({ held: table.size, offered, lagMs: 0 }), () => Bun.gc(true), (peak) => collected.push(peak));
    expect(c.check(0)).toBe(false); // open: no collection
    offered += 1;
    expect(c.check(1000)).toBe(false);
    table.clear();
    await Bun.sleep(0); // WeakRefs made in this job stay alive until it ends
    expect(c.check(2000)).toBe(true);
    expect(collected).toEqual([2000]);
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThan(20);
    expect(c.check(3000)).toBe(false);
  });

  test('a throwing reading never escapes the timer', () => {
    const c = new IdleCollector(() => { throw new Error('Failed to get memory usage'); }, () => Bun.gc(true));
    expect(c.check(0)).toBe(false);
  });
});
