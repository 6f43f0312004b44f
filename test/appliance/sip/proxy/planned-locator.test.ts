import { describe, expect, test } from 'bun:test';
import { withCallPlan } from '../../../../appliance/sip/proxy/planned-locator.ts';
import { nextAfter, planCall, type CallPlanView } from '../../../../appliance/sip/proxy/call-plan.ts';
import type { RouteDecision } from '../../../../appliance/sip/proxy/targets.ts';
import { NO_FEATURES, type CallFeatures } from '../../../../system/store/index.ts';

/** The call plan turned into routing decisions, over a location service of plain tables. */
const bound: Record<string, string> = { 201: '127.0.200.10', 202: '127.0.200.11' };
const features: Record<string, Partial<CallFeatures>> = {
  201: { dnd: true },
  202: { forwardBusy: '201' },
  203: { forwardUnreachable: '202' },
  204: { forwardNoAnswer: '202', noAnswerSeconds: 7 },
};
const view: CallPlanView = {
  isExtension: (n) => ['201', '202', '203', '204'].includes(n),
  group: () => undefined,
  features: (n) => ({ extension: n, ...NO_FEATURES, ...features[n] }),
  reachable: (n) => n in bound,
};
const located: string[] = [];
const locate = async (user: string): Promise<RouteDecision> => {
  located.push(user);
  const address = bound[user];
  return address ? { kind: 'relay', targets: [{ uri: `sip:${user}@${address}:5060`, dest: { transport: 'udp', address, port: 5060 } }] } : { kind: 'reply', status: 480 };
};
const route = withCallPlan(locate, (u) => planCall(u, view), (then, o) => nextAfter(then, o, view), 'office.lan');

describe('withCallPlan', () => {
  test('INVITE to a DND extension: 486 without asking the location service', async () => {
    located.length = 0;
    expect(await route('201', 'INVITE')).toEqual({ kind: 'reply', status: 486, reason: 'Busy Here' });
    expect(located).toEqual([]);
  });

  test('only calls are planned: a MESSAGE or OPTIONS reaches the DND phone as before', async () => {
    expect((await route('201', 'MESSAGE')).kind).toBe('relay');
    expect((await route('201', 'OPTIONS')).kind).toBe('relay');
  });

  test('a phone with a busy forward: relayed with a serial step that leads to the target with History-Info', async () => {
    const d = await route('202', 'INVITE');
    expect(d.kind).toBe('relay');
    if (d.kind !== 'relay') return;
    expect(d.serial?.ringMs).toBeUndefined();
    expect(d.targets[0].headers).toBeUndefined();
    // The target of the busy forward is 201, which has DND: its own answer (486) is given.
    expect(await d.serial!.next!({ statuses: [486], rangOut: false })).toEqual({ kind: 'reply', status: 486, reason: 'Busy Here' });
    expect(d.serial!.next!({ statuses: [404], rangOut: false })).toBeUndefined();
  });

  test('no binding and an unreachable forward: the target at once with History-Info', async () => {
    const d = await route('203', 'INVITE');
    expect(d.kind === 'relay' && d.targets.map((t) => [t.uri, t.headers?.['history-info']])).toEqual([
      ['sip:202@127.0.200.11:5060', '<sip:203@office.lan>;index=1, <sip:202@office.lan;cause=503>;index=1.1;mp=1'],
    ]);
  });

  test('no binding, only a no-answer forward: as if the phone had answered 480, which does not forward: 480', async () => {
    expect(await route('204', 'INVITE')).toEqual({ kind: 'reply', status: 480, reason: 'Temporarily Unavailable' });
  });
});
