import { describe, expect, test } from 'bun:test';
import { ReplyCorrelator } from '../../../appliance/control/reply-correlator.ts';
import { TcpOwners } from '../../../appliance/control/tcp-owners.ts';

describe('ReplyCorrelator', () => {
  test('a reply settles its request; a request without one settles with the fallback after the wait', async () => {
    const c = new ReplyCorrelator<string>(30);
    const sent: number[] = [];
    const a = c.nextKey();
    const b = c.nextKey();
    expect(b).not.toBe(a);
    const first = c.ask(a, () => sent.push(a), () => 'timed out');
    const second = c.ask(b, () => sent.push(b), () => 'timed out');
    expect(sent).toEqual([a, b]);
    expect(c.answer(a, 'reply a')).toBe(true);
    expect(await first).toBe('reply a');
    expect(await second).toBe('timed out');
    // Late: nobody waits any more.
    expect(c.answer(b, 'late')).toBe(false);
    expect(c.answer(a, 'again')).toBe(false);
  });

  test('a second request under a waiting key takes the reply; the first times out', async () => {
    const c = new ReplyCorrelator<number>(30);
    const old = c.ask(7, () => {}, () => -1);
    const fresh = c.ask(7, () => {}, () => -2);
    expect(c.answer(7, 42)).toBe(true);
    expect(await fresh).toBe(42);
    expect(await old).toBe(-1);
  });
});

describe('TcpOwners', () => {
  test('opens, closes only by its holder, and drops a worker that exits', () => {
    const t = new TcpOwners();
    expect(t.update('10.0.0.1:5060', true, 1)).toEqual(['10.0.0.1:5060', 1]);
    expect(t.update('10.0.0.2:5060', true, 2)).toEqual(['10.0.0.2:5060', 2]);
    expect(t.update('10.0.0.3:5060', true, 1)).toEqual(['10.0.0.3:5060', 1]);
    // Another worker's close of the same key leaves the holder in place.
    expect(t.update('10.0.0.2:5060', false, 1)).toEqual(['10.0.0.2:5060', null]);
    expect(t.ownerOf('10.0.0.2:5060')).toBe(2);
    expect(t.dropWorker(1)).toEqual([['10.0.0.1:5060', null], ['10.0.0.3:5060', null]]);
    expect(t.entries()).toEqual([['10.0.0.2:5060', 2]]);
    t.update('10.0.0.2:5060', false, 2);
    expect(t.ownerOf('10.0.0.2:5060')).toBeUndefined();
  });
});
