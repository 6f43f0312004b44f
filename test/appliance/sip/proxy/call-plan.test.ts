import { describe, expect, test } from 'bun:test';
import { historyInfo, nextAfter, planCall, type CallPlan, type CallPlanView, type Then } from '../../../../appliance/sip/proxy/call-plan.ts';
import { GROUP_OUTSIDE_DEFAULTS, NO_FEATURES, type CallFeatures, type RingGroupRecord } from '../../../../system/store/index.ts';

type Features = Partial<Omit<CallFeatures, 'extension'>>;

/** A view over plain tables: extensions with their features and bindings, groups. */
function view(exts: Record<string, Features & { bound?: boolean }>, groups: Record<string, Partial<RingGroupRecord>> = {}, outside: readonly string[] = []): CallPlanView {
  return {
    outside: (n) => outside.includes(n),
    isExtension: (n) => n in exts,
    group: (n) => (groups[n] ? { number: n, name: '', strategy: 'ring-all', ringSeconds: 15, timeoutSeconds: 60, fallback: null, members: [], ...GROUP_OUTSIDE_DEFAULTS, createdAt: 0, updatedAt: 0, ...groups[n] } : undefined),
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
    ['reachable: the phone rings first (the unreachable forward waits for 408/480)', '201', view({ 201: { forwardUnreachable: '202' }, 202: {} }), 'ring 201'],
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

describe('nextAfter (serial forking)', () => {
  const exts = { 201: { forwardBusy: '202', forwardNoAnswer: '203', noAnswerSeconds: 12, forwardUnreachable: '204' }, 202: {}, 203: {}, 204: {}, 205: { dnd: true }, 206: { bound: false } };
  const v = view(exts, {
    610: { strategy: 'hunt', members: ['202', '205', '206', '203', '204'], ringSeconds: 10, timeoutSeconds: 25, fallback: '201' },
    611: { members: ['202', '203'], timeoutSeconds: 30, fallback: '610' },
  });
  const first = planCall('201', v) as Extract<CallPlan, { kind: 'ring' }>;
  test('an extension with forwards rings first, for its no-answer time', () => {
    expect(short(first)).toBe('ring 201');
    expect(first.then).toMatchObject({ kind: 'forwards', ringMs: 12000 });
  });
  const cases: [string, number[], boolean, string][] = [
    ['no answer in the ring time: the no-answer target', [480], true, 'ring 201>203:408'],
    ['busy from every phone: the busy target', [486, 600], false, 'ring 201>202:486'],
    ['408/480 from every phone: the unreachable target', [408, 480], false, 'ring 201>204:503'],
    ['busy and unreachable mixed: nothing, the best response goes up', [486, 480], false, 'none'],
    ['a 404 from a phone: nothing', [404], false, 'none'],
  ];
  for (const [name, statuses, rangOut, want] of cases) {
    test(name, () => {
      const p = nextAfter(first.then!, { statuses, rangOut }, v);
      expect(p ? short(p) : 'none').toBe(want);
    });
  }

  test('hunt: members one after another (DND and unbound skipped), each for its ring time within the group time, then the fallback', () => {
    const seen: string[] = [];
    let p = planCall('610', v) as Extract<CallPlan, { kind: 'ring' }>;
    for (let i = 0; i < 6 && p?.kind === 'ring'; i++) {
      seen.push(`${short(p)}${p.then ? ` (${p.then.ringMs ?? '-'} ms)` : ''}`);
      if (!p.then) break;
      p = nextAfter(p.then, { statuses: [480], rangOut: true }, v) as Extract<CallPlan, { kind: 'ring' }>;
    }
    expect(seen).toEqual([
      'ring 610>202 (10000 ms)', 'ring 610>203 (10000 ms)', 'ring 610>204 (5000 ms)',
      // The group's 25 s are over: its fallback 201, which has forwards of its own.
      'ring 610>201:480 (12000 ms)', 'ring 610>201:480>203:408',
    ]);
  });

  test('ring-all group: its timeout, then its fallback (here a hunt group)', () => {
    const p = planCall('611', v) as Extract<CallPlan, { kind: 'ring' }>;
    expect(short(p)).toBe('ring 611>202 611>203');
    expect(p.then?.ringMs).toBe(30000);
    expect(short(nextAfter(p.then!, { statuses: [480, 480], rangOut: true }, v)!)).toBe('ring 611>610:480>202');
  });

  test('a fallback back onto the chain: 482; beyond 5 hops: nothing more', () => {
    const loop: Then = { kind: 'group', ringMs: 1000, chain: [{ number: '201' }, { number: '611', cause: 302 }], rest: [], memberMs: 0, leftMs: 0, fallback: '201' };
    expect(short(nextAfter(loop, { statuses: [480], rangOut: true }, v)!)).toBe('reply 482');
    const long: Then = { ...loop, chain: ['1', '2', '3', '4', '5', '6'].map((n) => ({ number: `20${n}` })), fallback: '204' };
    expect(nextAfter(long, { statuses: [480], rangOut: true }, v)).toBeUndefined();
  });

  test('an answer never moves on', () => {
    expect(nextAfter(first.then!, { statuses: [200], rangOut: false }, v)).toBeUndefined();
  });
});

describe('outside numbers as group members (issue 15)', () => {
  // 912125551234 and 912125559999 are routed by the dial plan; 999 is not (nor an emergency number, which `outside` never takes).
  const OUT = ['912125551234', '912125559999'];
  const v = view({ 201: {}, 202: { dnd: true }, 203: {} }, {
    600: { members: ['201', '912125551234', '202', '999'] },
    610: { strategy: 'hunt', members: ['912125551234', '203', '912125559999'], ringSeconds: 10, timeoutSeconds: 25, fallback: '201' },
  }, OUT);
  const ring = (p: CallPlan | undefined) => p as Extract<CallPlan, { kind: 'ring' }>;
  test('ring-all: the outside member rings with the extensions, called as the group; an unrouted one and a DND member are skipped', () => {
    const p = ring(planCall('600', v));
    expect(short(p)).toBe('ring 600>201 600>912125551234');
    expect(p.targets.map((t) => t.forwardedBy)).toEqual([undefined, '600']);
  });
  test('hunt: outside members take their turn in order, each as the group, then the fallback', () => {
    const seen: string[] = [];
    let p = ring(planCall('610', v));
    for (let i = 0; i < 5 && p?.kind === 'ring'; i++) {
      seen.push(`${short(p)}${p.targets[0].forwardedBy ? ` as ${p.targets[0].forwardedBy}` : ''}`);
      if (!p.then) break;
      p = ring(nextAfter(p.then, { statuses: [487], rangOut: true }, v));
    }
    expect(seen).toEqual(['ring 610>912125551234 as 610', 'ring 610>203', 'ring 610>912125559999 as 610', 'ring 610>201:480']);
  });
  test('without outside routing (no trunks) an outside member is never rung', () => {
    const none = view({ 201: {} }, { 600: { members: ['912125551234'] } });
    expect(short(planCall('600', none))).toBe('reply 480');
  });
  test('an extension forwarding to an outside number stays its own outside call, not a group\'s', () => {
    const p = ring(planCall('201', view({ 201: { forwardAlways: '912125551234' } }, {}, OUT)));
    expect(p.targets[0].forwardedBy).toBe('201');
  });
});
