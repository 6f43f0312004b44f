import { describe, expect, test } from 'bun:test';
import { CallsView } from '../../../appliance/control/calls-view.ts';
import type { DialogEvent } from '../../../appliance/sip/dialog-events.ts';

/** Event times near now: the view prunes by the real clock. */
const T = Date.now();
const start = (callId: string, a: string, b: string, ts = T + 1000): DialogEvent => ({ kind: 'start', callId, tags: [a, b], from: 'sip:201@office.lan', to: 'sip:202@office.lan', ts });
const end = (callId: string, a: string, b: string, ts = T + 2000): DialogEvent => ({ kind: 'end', callId, tags: [a, b], ts });
const timed = (callId: string, ts: number, sessionExpires: number): DialogEvent => ({ ...start(callId, 'a', 'b', ts), sessionExpires } as DialogEvent);
const refresh = (callId: string, ts: number, sessionExpires: number): DialogEvent => ({ kind: 'refresh', callId, tags: ['b', 'a'], ts, sessionExpires });

describe('CallsView', () => {
  test('a call started on one worker ends on another, whichever side hung up', () => {
    const v = new CallsView();
    v.apply(1, [start('c1', 'caller', 'callee'), start('c2', 'x', 'y')]);
    expect(v.count).toBe(2);
    v.apply(2, [end('c1', 'callee', 'caller')]); // BYE from the callee: tags swapped
    expect(v.list(T + 3000).map((c) => c.callId)).toEqual(['c2']);
    expect(v.recentCalls()).toEqual([{ callId: 'c1', tags: ['caller', 'callee'], from: 'sip:201@office.lan', to: 'sip:202@office.lan', startedAt: T + 1000, worker: 1, endedAt: T + 2000 }]);
  });

  test('calls adopted from an upgrade\'s predecessor: listed as worker 0, ended by our BYE, or at once when the BYE came first', () => {
    const v = new CallsView();
    const ended: string[] = [];
    v.onFinish = (c) => ended.push(`${c.callId}:${c.worker}`);
    // c3's BYE reached one of our workers before the predecessor handed its calls over.
    v.apply(1, [end('c3', 'e', 'f')]);
    const theirs = (id: string, a: string, b: string) => ({ callId: id, tags: [a, b] as [string, string], from: 'sip:201@office.lan', to: 'sip:202@office.lan', startedAt: T, worker: 2 });
    v.adopt([theirs('c1', 'a', 'b'), theirs('c2', 'c', 'd'), theirs('c3', 'e', 'f')]);
    v.adopt([theirs('c1', 'a', 'b')]); // twice: still one call
    expect(v.list(T + 3000).map((c) => `${c.callId}:${c.worker}`)).toEqual(['c1:0', 'c2:0']);
    v.apply(1, [end('c1', 'b', 'a')]);
    expect(ended).toEqual(['c3:0', 'c1:0']);
    expect(v.count).toBe(1);
  });

  test('a failed call (never answered) is not a call in progress', () => {
    const v = new CallsView();
    v.apply(1, [{ kind: 'failed', callId: 'f1', tags: ['a', ''], from: 'sip:201@office.lan', to: 'sip:202@office.lan', ts: T, status: 486, reason: '486 Busy Here' }]);
    expect(v.count).toBe(0);
    expect(v.recentCalls()).toHaveLength(0);
  });

  test('every end reaches onFinish: a BYE and a session expiry', () => {
    const v = new CallsView();
    const ended: string[] = [];
    v.onFinish = (c) => ended.push(`${c.callId}:${c.reason}`);
    v.apply(1, [start('c1', 'a', 'b'), { ...end('c1', 'b', 'a'), reason: 'BYE' } as DialogEvent, timed('c2', T, 90)]);
    v.list(T + 200_000);
    expect(ended).toEqual(['c1:BYE', 'c2:session expired (RFC 4028)']);
  });

  test('a repeated 2xx does not start the call twice; an unknown BYE changes nothing', () => {
    const v = new CallsView();
    v.apply(1, [start('c1', 'a', 'b'), start('c1', 'a', 'b')]);
    v.apply(1, [end('zz', 'a', 'b')]);
    expect(v.count).toBe(1);
    expect(v.recentCalls()).toHaveLength(0);
  });

  test('calls whose BYE never came leave the view after 12 hours; recent calls are bounded', () => {
    const v = new CallsView(2);
    v.apply(1, [start('old', 'a', 'b', T)]);
    expect(v.list(T + 13 * 3600_000)).toHaveLength(0);
    for (const id of ['r1', 'r2', 'r3']) v.apply(1, [start(id, 'a', 'b'), end(id, 'a', 'b')]);
    expect(v.recentCalls().map((c) => c.callId)).toEqual(['r3', 'r2']);
  });

  test('an end reported before its start (another worker\'s batch came first) still ends the call', () => {
    const v = new CallsView();
    v.apply(2, [end('c1', 'b', 'a', T + 1500)]);
    v.apply(1, [start('c1', 'a', 'b', T + 1000)]);
    expect(v.count).toBe(0);
    expect(v.recentCalls()[0]).toMatchObject({ callId: 'c1', endedAt: T + 1500 });
  });

  test('with RFC 4028 session timers, a call not refreshed ends at the session expiry; a refresh extends it', () => {
    const v = new CallsView();
    const t0 = Date.now();
    v.apply(1, [timed('s1', t0, 90), timed('s2', t0, 90)]);
    v.apply(2, [refresh('s2', t0 + 45_000, 90)]);
    const after = t0 + 90_000 + 32_000 + 1;
    expect(v.list(after).map((c) => c.callId)).toEqual(['s2']);
    expect(v.recentCalls()[0]).toMatchObject({ callId: 's1', reason: 'session expired (RFC 4028)' });
    expect(v.list(t0 + 45_000 + 122_001)).toEqual([]);
  });
});

