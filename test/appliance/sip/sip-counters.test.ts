import { describe, expect, test } from 'bun:test';
import { SipCounters } from '../../../appliance/sip/sip-counters.ts';

/** SIP counters: a fixed set of method keys (a stranger's invented methods cannot grow them). */
describe('SIP counters', () => {
  test('known methods by name, anything else as "other"', () => {
    const c = new SipCounters();
    for (const m of ['INVITE', 'INVITE', 'REGISTER', 'FOO', 'RE%47IST%45R', 'invite', 'X'.repeat(12)]) c.request(m);
    expect(c.requests).toEqual({ INVITE: 2, REGISTER: 1, other: 4 });
  });
  test.each([
    [100, 0], [183, 0], [200, 1], [302, 2], [404, 3], [503, 4], [603, 5], [99, 0], [700, 5],
  ])('status %p is class index %p, by method and in total', (status, index) => {
    const c = new SipCounters();
    c.reply(status, 'INVITE');
    c.reply(status, 'NOPE');
    c.reply(status);
    const want = [0, 0, 0, 0, 0, 0];
    want[index] = 1;
    expect(c.repliesByMethod.INVITE).toEqual(want);
    expect(c.repliesByMethod.other).toEqual(want.map((n) => n * 2));
    expect(Object.values(c.replies)).toEqual(want.map((n) => n * 3));
  });
  test('thousands of invented methods leave two keys', () => {
    const c = new SipCounters();
    for (let i = 0; i < 5000; i++) {
      c.request(`M${i}`);
      c.reply(200, `M${i}`);
    }
    expect(Object.keys(c.requests)).toEqual(['other']);
    expect(Object.keys(c.repliesByMethod)).toEqual(['other']);
  });
});
