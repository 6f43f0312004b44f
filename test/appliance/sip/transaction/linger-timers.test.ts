import { describe, expect, test } from 'bun:test';
import { cancelLinger, linger } from '../../../../appliance/sip/transaction/linger-timers.ts';

/** linger-timers.ts: one runtime timer per delay, the transactions it ends in FIFO order. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ended(log: string[], name: string) {
  return { terminate: () => log.push(name) };
}

describe('linger timers', () => {
  test('each ends after its delay, in the order they were started, not before', async () => {
    const log: string[] = [];
    const t0 = performance.now();
    const at: number[] = [];
    linger(40, { terminate: () => (log.push('a'), at.push(performance.now() - t0)) });
    await sleep(15);
    linger(40, { terminate: () => (log.push('b'), at.push(performance.now() - t0)) });
    linger(10, ended(log, 'short'));
    expect(log).toEqual([]);
    await sleep(70);
    expect(log).toEqual(['short', 'a', 'b']);
    expect(at[0]).toBeGreaterThanOrEqual(39);
    expect(at[1]).toBeGreaterThanOrEqual(54);
  });

  test('a cancelled one never ends; cancelling twice or undefined is harmless', async () => {
    const log: string[] = [];
    const a = linger(30, ended(log, 'a'));
    linger(30, ended(log, 'b'));
    cancelLinger(a);
    cancelLinger(a);
    cancelLinger(undefined);
    await sleep(60);
    expect(log).toEqual(['b']);
  });

  test('after every entry of a delay is cancelled, new ones of that delay still run', async () => {
    const log: string[] = [];
    const a = linger(20, ended(log, 'a'));
    cancelLinger(a);
    linger(20, ended(log, 'c'));
    await sleep(50);
    expect(log).toEqual(['c']);
  });

  test('one ending may start another of the same delay', async () => {
    const log: string[] = [];
    linger(15, { terminate: () => (log.push('first'), linger(15, ended(log, 'second'))) });
    await sleep(70);
    expect(log).toEqual(['first', 'second']);
  });
});
