import { describe, expect, test } from 'bun:test';
import { historyInfo, planCall, type CallPlan, type CallPlanView } from '../../../../appliance/sip/proxy/call-plan.ts';
import { NO_FEATURES, type CallFeatures, type RingGroupRecord } from '../../../../system/store/index.ts';

type Features = Partial<Omit<CallFeatures, 'extension'>>;

/** A view over plain tables: extensions with their features and bindings, groups. */
function view(exts: Record<string, Features & { bound?: boolean }>, groups: Record<string, Partial<RingGroupRecord>> = {}): CallPlanView {
  return {
    isExtension: (n) => n in exts,
    group: (n) => (groups[n] ? { number: n, name: '', strategy: 'ring-all', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [], createdAt: 0, updatedAt: 0, ...groups[n] } : undefined),
    features: (n) => ({ extension: n, ...NO_FEATURES, ...exts[n] }),
    reachable: (n) => exts[n]?.bound !== false,
  };
}

/** The plan, written short: "reply 486", "ring 201>202:302" (the history, each hop with its cause), "direct". */
function short(p: CallPlan): string {
  if (p.kind === 'direct') return 'direct';
  if (p.kind === 'reply') return `reply ${p.status}`;
  return `ring ${p.targets.map((t) => {
    expect(t.history[t.history.length - 1].number).toBe(t.extension);
    return t.history.map((h) => `${h.number}${h.cause ? `:${h.cause}` : ''}`).join('>');
  }).join(' ')}`;
}

describe('planCall', () => {
  const cases: [string, string, CallPlanView, string][] = [
    ['no features: the location service as before', '201', view({ 201: {} }), 'direct'],
    ['unknown number: the location service (404)', '999', view({ 201: {} }), 'direct'],
    ['forward always to an extension', '201', view({ 201: { forwardAlways: '202' }, 202: {} }), 'ring 201>202:302'],
    ['forward always, twice', '201', view({ 201: { forwardAlways: '202' }, 202: { forwardAlways: '203' }, 203: {} }), 'ring 201>202:302>203:302'],
    ['do-not-disturb: 486', '201', view({ 201: { dnd: true } }), 'reply 486'],
    ['do-not-disturb with forward-on-busy', '201', view({ 201: { dnd: true, forwardBusy: '202' }, 202: {} }), 'ring 201>202:486'],
    ['forward always wins over do-not-disturb', '201', view({ 201: { dnd: true, forwardAlways: '203', forwardBusy: '202' }, 202: {}, 203: {} }), 'ring 201>203:302'],
    ['unreachable (no binding) with a target', '201', view({ 201: { bound: false, forwardUnreachable: '202' }, 202: {} }), 'ring 201>202:503'],
    ['unreachable without a target: the location service (480)', '201', view({ 201: { bound: false } }), 'direct'],
    ['reachable: the unreachable forward is not used', '201', view({ 201: { forwardUnreachable: '202' }, 202: {} }), 'direct'],
    ['a loop of two stops with 482', '201', view({ 201: { forwardAlways: '202' }, 202: { forwardAlways: '201' } }), 'reply 482'],
    ['a loop through DND-busy stops with 482', '201', view({ 201: { forwardAlways: '202' }, 202: { dnd: true, forwardBusy: '201' } }), 'reply 482'],
    ['a forward to a removed extension: 404', '201', view({ 201: { forwardAlways: '209' } }), 'reply 404'],
    ['group: every member with a binding and no DND', '600', view({ 201: {}, 202: { dnd: true }, 203: { bound: false }, 204: {} }, { 600: { members: ['201', '202', '203', '204'] } }), 'ring 600>201 600>204'],
    ['group without answerable members: its fallback', '600', view({ 201: { bound: false }, 205: {} }, { 600: { members: ['201'], fallback: '205' } }), 'ring 600>205:480'],
    ['group to group fallback', '600', view({ 201: { dnd: true }, 202: {} }, { 600: { members: ['201'], fallback: '601' }, 601: { members: ['202'] } }), 'ring 600>601:480>202'],
    ['groups falling back to each other: 482', '600', view({ 201: { dnd: true } }, { 600: { members: ['201'], fallback: '601' }, 601: { members: ['201'], fallback: '600' } }), 'reply 482'],
    ['group without anyone and no fallback: 480', '600', view({ 201: { bound: false } }, { 600: { members: ['201'] } }), 'reply 480'],
    ['an extension forwarding to a group', '201', view({ 201: { forwardAlways: '600' }, 202: {} }, { 600: { members: ['202'] } }), 'ring 201>600:302>202'],
  ];
  for (const [name, number, v, want] of cases) test(name, () => expect(short(planCall(number, v))).toBe(want));

  test('a chain longer than 5 forwards stops at the fifth target, which rings as it is', () => {
    const exts: Record<string, Features> = {};
    for (let i = 0; i < 8; i++) exts[String(201 + i)] = { forwardAlways: String(202 + i) };
    const p = planCall('201', view(exts));
    expect(short(p)).toBe('ring 201>202:302>203:302>204:302>205:302>206:302');
  });

  test('the hop bound is a parameter', () => {
    const p = planCall('201', view({ 201: { forwardAlways: '202' }, 202: { forwardAlways: '203' }, 203: {} }), 1);
    expect(short(p)).toBe('ring 201>202:302');
  });

  test('DND at the hop bound still answers 486', () => {
    const p = planCall('201', view({ 201: { forwardAlways: '202' }, 202: { dnd: true, forwardBusy: '203' }, 203: {} }), 1);
    expect(short(p)).toBe('reply 486');
  });
});

describe('historyInfo (RFC 7044)', () => {
  test('nothing retargeted: no header', () => {
    expect(historyInfo([{ number: '201' }], 'office.lan')).toBeUndefined();
  });
  test('one forward: the original target, then the new one as its child with cause and mp', () => {
    expect(historyInfo([{ number: '201' }, { number: '202', cause: 302 }], 'office.lan'))
      .toBe('<sip:201@office.lan>;index=1, <sip:202@office.lan;cause=302>;index=1.1;mp=1');
  });
  test('a group member after a forward', () => {
    expect(historyInfo([{ number: '201' }, { number: '600', cause: 486 }, { number: '203' }], 'office.lan'))
      .toBe('<sip:201@office.lan>;index=1, <sip:600@office.lan;cause=486>;index=1.1;mp=1, <sip:203@office.lan>;index=1.1.1;mp=1.1');
  });
});
