import { describe, expect, test } from 'bun:test';
import { historyInfo, nextAfter, planCall, VOICEMAIL, voicemailMailbox, type CallPlan, type CallPlanView, type VoicemailPolicy } from '../../../../appliance/sip/proxy/call-plan.ts';
import { diversion } from '../../../../appliance/sip/proxy/diversion.ts';
import { GROUP_OUTSIDE_DEFAULTS, NO_FEATURES, type CallFeatures } from '../../../../system/store/index.ts';

type Features = Partial<Omit<CallFeatures, 'extension'>> & { bound?: boolean };
const VM: VoicemailPolicy = { onBusy: true, onNoAnswer: true, noAnswerSeconds: 20 };

function view(exts: Record<string, Features>, voicemail: VoicemailPolicy | null = VM): CallPlanView {
  return {
    isExtension: (n) => n in exts, group: () => undefined,
    features: (n) => ({ extension: n, ...NO_FEATURES, ...exts[n] }),
    reachable: (n) => exts[n]?.bound !== false,
    ...(voicemail ? { voicemail } : {}),
  };
}

const path = (p: CallPlan | undefined) => (p?.kind === 'ring' ? p.targets.map((t) => t.history.map((h) => `${h.number}${h.cause ? `:${h.cause}` : ''}`).join('>')).join(' ') : p?.kind === 'reply' ? `reply ${p.status}` : String(p?.kind));

describe('call plan with [voicemail]', () => {
  test('an extension rings for no_answer_seconds, then voicemail on no answer (408), busy (486), 408/480 (503)', () => {
    const p = planCall('201', view({ 201: {} }));
    expect(p.kind === 'ring' && p.then).toMatchObject({ kind: 'forwards', ringMs: 20_000, busy: VOICEMAIL, noAnswer: VOICEMAIL, unreachable: VOICEMAIL });
    const then = (p as Extract<CallPlan, { kind: 'ring' }>).then!;
    expect(path(nextAfter(then, { statuses: [480], rangOut: true }, view({ 201: {} })))).toBe('201>voicemail:408');
    expect(path(nextAfter(then, { statuses: [486], rangOut: false }, view({ 201: {} })))).toBe('201>voicemail:486');
    expect(path(nextAfter(then, { statuses: [408], rangOut: false }, view({ 201: {} })))).toBe('201>voicemail:503');
    expect(nextAfter(then, { statuses: [200], rangOut: false }, view({ 201: {} }))).toBeUndefined();
  });
  const cases: [string, Record<string, Features>, VoicemailPolicy | null, string][] = [
    ['DND goes to voicemail (busy)', { 201: { dnd: true } }, VM, '201>voicemail:486'],
    ['DND with on_busy = false: 486', { 201: { dnd: true } }, { ...VM, onBusy: false }, 'reply 486'],
    ['no binding: voicemail at once', { 201: { bound: false } }, VM, '201>voicemail:503'],
    ['no binding, on_no_answer = false: it is located (480; busy would go to voicemail)', { 201: { bound: false } }, { ...VM, onNoAnswer: false }, '201'],
    ['an own busy forward wins over voicemail', { 201: { dnd: true, forwardBusy: '202' }, 202: {} }, VM, '201>202:486'],
    ['forward always: the target rings, its own voicemail behind it', { 201: { forwardAlways: '202' }, 202: {} }, VM, '201>202:302'],
    ['the forward target DND: voicemail of the target', { 201: { forwardAlways: '202' }, 202: { dnd: true } }, VM, '201>202:302>voicemail:486'],
    ['no [voicemail]: as before', { 201: {} }, null, 'direct'],
  ];
  for (const [name, exts, vm, want] of cases) test(name, () => expect(path(planCall('201', view(exts, vm)))).toBe(want));

  test("a group's fallback `voicemail`: the group's own mailbox", () => {
    const v: CallPlanView = { ...view({ 201: { bound: false } }), group: (n) => (n === '600' ? { number: '600', name: '', strategy: 'ring-all', ringSeconds: 15, timeoutSeconds: 60, fallback: VOICEMAIL, members: ['201'], ...GROUP_OUTSIDE_DEFAULTS, createdAt: 0, updatedAt: 0 } : undefined) };
    const p = planCall('600', v);
    expect(path(p)).toBe('600>voicemail:480');
    expect(voicemailMailbox((p as Extract<CallPlan, { kind: 'ring' }>).targets[0].history)).toBe('600');
  });

  test('an own no-answer forward keeps its own ring time', () => {
    const p = planCall('201', view({ 201: { forwardNoAnswer: '202', noAnswerSeconds: 7 }, 202: {} }));
    expect(p.kind === 'ring' && p.then).toMatchObject({ ringMs: 7000, noAnswer: '202', busy: VOICEMAIL });
  });

  test('mailbox, History-Info and Diversion of a voicemail target', () => {
    const h = [{ number: '201' }, { number: '202', cause: 302 }, { number: VOICEMAIL, cause: 486 }];
    expect(voicemailMailbox(h)).toBe('202');
    expect(historyInfo(h, 'office.lan', 'sip:vm@10.0.0.5;target=sip:202%40office.lan'))
      .toBe('<sip:201@office.lan>;index=1, <sip:202@office.lan;cause=302>;index=1.1;mp=1, <sip:vm@10.0.0.5;target=sip:202%40office.lan;cause=486>;index=1.1.1;mp=1.1');
    expect(diversion(h, 'office.lan')).toBe('<sip:202@office.lan>;reason=user-busy;counter=1, <sip:201@office.lan>;reason=unconditional;counter=1');
  });
});

describe('call plan with outside forward targets', () => {
  const outsideView = (exts: Record<string, Features>): CallPlanView => ({ ...view(exts, null), outside: (n) => n.startsWith('9') && n.length > 6 });
  const cases: [string, Record<string, Features>, string][] = [
    ['forward always to an outside number: rung as the forwarding extension', { 201: { forwardAlways: '912125551234' } }, '201>912125551234:302 by 201'],
    ['through another extension: the last extension forwards', { 201: { forwardAlways: '202' }, 202: { forwardAlways: '912125551234' } }, '201>202:302>912125551234:302 by 202'],
    ['a number no route takes: 404 as before', { 201: { forwardAlways: '5551234' } }, 'reply 404'],
  ];
  for (const [name, exts, want] of cases) {
    test(name, () => {
      const p = planCall('201', outsideView(exts));
      const got = p.kind === 'ring' ? `${path(p)}${p.targets[0].forwardedBy ? ` by ${p.targets[0].forwardedBy}` : ''}` : path(p);
      expect(got).toBe(want);
    });
  }
  test('without the dial plan (no outside in the view) an outside target is not followed', () => {
    expect(path(planCall('201', view({ 201: { forwardAlways: '912125551234' } }, null)))).toBe('reply 404');
  });
});

describe('per-extension voicemail (issue 15)', () => {
  const OWN_ONLY: VoicemailPolicy = { ...VM, ownOnly: true };
  const cases: [string, Record<string, Features>, string][] = [
    ['no office server, an own voicemail URI: busy goes there', { 201: { dnd: true, voicemailUri: 'sip:vm@192.0.2.7' } }, '201>voicemail:486'],
    ['no office server, no own URI: as before (486)', { 201: { dnd: true } }, 'reply 486'],
    ['no office server: a forward target with its own URI takes the call to its own mailbox', { 201: { forwardAlways: '202' }, 202: { dnd: true, voicemailUri: 'sip:vm@192.0.2.7' } }, '201>202:302>voicemail:486'],
  ];
  for (const [name, exts, want] of cases) test(name, () => expect(path(planCall('201', view(exts, OWN_ONLY)))).toBe(want));
  test('the mailbox is the extension before the voicemail hop (whose own server planned-locator picks)', () => {
    const p = planCall('201', view({ 201: { forwardAlways: '202' }, 202: { dnd: true, voicemailUri: 'sip:vm@192.0.2.7' } }, OWN_ONLY));
    expect(voicemailMailbox((p as Extract<CallPlan, { kind: 'ring' }>).targets[0].history)).toBe('202');
  });
});
