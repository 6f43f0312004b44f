import { describe, expect, test } from 'bun:test';
import { CallsView } from '../../../appliance/control/calls-view.ts';
import type { DialogEvent } from '../../../appliance/sip/dialog-events.ts';

const start = (callId: string, a: string, b: string, ts = 1000): DialogEvent => ({ kind: 'start', callId, tags: [a, b], from: 'sip:201@office.lan', to: 'sip:202@office.lan', ts });
const end = (callId: string, a: string, b: string, ts = 2000): DialogEvent => ({ kind: 'end', callId, tags: [a, b], ts });

describe('CallsView', () => {
  test('a call started on one worker ends on another, whichever side hung up', () => {
    const v = new CallsView();
    v.apply(1, [start('c1', 'caller', 'callee'), start('c2', 'x', 'y')]);
    expect(v.count).toBe(2);
    v.apply(2, [end('c1', 'callee', 'caller')]); // BYE from the callee: tags swapped
    expect(v.list(3000).map((c) => c.callId)).toEqual(['c2']);
    expect(v.recentCalls()).toEqual([{ callId: 'c1', from: 'sip:201@office.lan', to: 'sip:202@office.lan', startedAt: 1000, worker: 1, endedAt: 2000 }]);
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
    v.apply(1, [start('old', 'a', 'b', 0)]);
    expect(v.list(13 * 3600_000)).toHaveLength(0);
    for (const id of ['r1', 'r2', 'r3']) v.apply(1, [start(id, 'a', 'b'), end(id, 'a', 'b')]);
    expect(v.recentCalls().map((c) => c.callId)).toEqual(['r3', 'r2']);
  });
});
