import { describe, expect, test } from 'bun:test';
import type { DialogEvent } from '../../../../appliance/sip/dialog-events.ts';
import { LampBoard, lampState } from '../../../../appliance/sip/events/lamp-board.ts';
import { LampView } from '../../../../appliance/sip/events/lamp-view.ts';

const EXTS = new Set(['201', '202', '203', '204']);
const ext = (uri: string) => {
  const m = /^sip:(\d+)@office\.lan$/.exec(uri);
  return m && EXTS.has(m[1]) ? m[1] : undefined;
};
const base = { callId: 'c1', from: 'sip:201@office.lan', to: 'sip:202@office.lan' };
const trying = (callees: string[], ts = 1): DialogEvent => ({ kind: 'trying', ...base, tags: ['a', ''], ts, callees });
const early = (callee: string, ts = 2): DialogEvent => ({ kind: 'early', ...base, tags: ['a', 'b'], ts, callee });
const start = (answeredBy: string, ts = 3): DialogEvent => ({ kind: 'start', ...base, tags: ['a', 'b'], ts, answeredBy });
const end = (tags: [string, string], ts = 4): DialogEvent => ({ kind: 'end', callId: 'c1', tags, ts });
const failed: DialogEvent = { kind: 'failed', ...base, tags: ['a', ''], ts: 3, status: 486, reason: '486 Busy Here' };

/** Each extension's lamp after the events, applied one by one. */
function lamps(events: DialogEvent[], workers: number[] = events.map(() => 1)) {
  const board = new LampBoard(ext);
  const view = new LampView();
  events.forEach((e, i) => view.apply(board.apply(workers[i], [e], 10)));
  return Object.fromEntries(['201', '202', '203'].map((x) => [x, view.lamp(x).state]));
}

describe('lamp board (RFC 4235 state per extension)', () => {
  test.each([
    ['trying: the callee rings, the caller is busy', [trying(['202'])], { 201: 'in-call', 202: 'ringing', 203: 'idle' }],
    ['early', [trying(['202']), early('202')], { 201: 'in-call', 202: 'ringing', 203: 'idle' }],
    ['answered: both in a call', [trying(['202']), early('202'), start('202')], { 201: 'in-call', 202: 'in-call', 203: 'idle' }],
    ['BYE from the caller: idle', [trying(['202']), start('202'), end(['a', 'b'])], { 201: 'idle', 202: 'idle', 203: 'idle' }],
    ['BYE from the callee (tags the other way round): idle', [trying(['202']), start('202'), end(['b', 'a'])], { 201: 'idle', 202: 'idle', 203: 'idle' }],
    ['a BYE reported before its start (another worker) ends it', [trying(['202']), end(['a', 'b']), start('202')], { 201: 'idle', 202: 'idle', 203: 'idle' }],
    ['failed (486): idle', [trying(['202']), failed], { 201: 'idle', 202: 'idle', 203: 'idle' }],
    ['a ring group: both members ring', [trying(['202', '203'])], { 201: 'in-call', 202: 'ringing', 203: 'ringing' }],
    ['the group answered by 203: 202 stops ringing', [trying(['202', '203']), start('203')], { 201: 'in-call', 202: 'idle', 203: 'in-call' }],
    ['a hunt step moves on to 203', [trying(['202']), trying(['203'], 2)], { 201: 'in-call', 202: 'idle', 203: 'ringing' }],
  ] as const)('%s', (_name, events, expected) => {
    expect(lamps([...events]) as Record<string, string>).toEqual(expected as unknown as Record<string, string>);
  });

  test('a change lists the dialog that ended once, as terminated, and the worker holding the call', () => {
    const board = new LampBoard(ext);
    const [c1] = board.apply(2, [trying(['202'])], 10).filter((c) => c.extension === '202');
    expect(c1.dialogs).toMatchObject([{ direction: 'recipient', state: 'trying', remoteTag: 'a', peer: 'sip:201@office.lan', worker: 2 }]);
    board.apply(2, [start('202')], 10);
    const changes = board.apply(1, [end(['a', 'b'])], 10);
    const c202 = changes.find((c) => c.extension === '202')!;
    expect(c202.dialogs).toEqual([]);
    expect(c202.ended).toMatchObject([{ state: 'terminated', direction: 'recipient', localTag: 'b', remoteTag: 'a' }]);
    expect(changes.find((c) => c.extension === '201')!.ended).toMatchObject([{ direction: 'initiator', localTag: 'a', remoteTag: 'b' }]);
  });

  test('a call of strangers (no extension on either side) is not followed', () => {
    const board = new LampBoard(ext);
    expect(board.apply(1, [{ kind: 'trying', callId: 'x', tags: ['t', ''], from: 'sip:evil@elsewhere', to: 'sip:999@office.lan', ts: 1, callees: [] }], 10)).toEqual([]);
    expect(board.busyExtensions()).toEqual([]);
  });

  test('a ringing call whose final never came is ended after 10 minutes', () => {
    const board = new LampBoard(ext);
    board.apply(1, [trying(['202'], 0)], 0);
    const later = board.apply(1, [], 10 * 60_000 + 1);
    expect(later.find((c) => c.extension === '202')?.ended).toHaveLength(1);
    expect(board.busyExtensions()).toEqual([]);
  });

  test('lampState: in-call beats ringing; terminated dialogs light nothing', () => {
    const d = { id: 'i', callId: 'c', localTag: '', remoteTag: '', peer: 'sip:x@y', since: 0, worker: 1 };
    expect(lampState([])).toBe('idle');
    expect(lampState([{ ...d, direction: 'recipient', state: 'early' }])).toBe('ringing');
    expect(lampState([{ ...d, direction: 'recipient', state: 'early' }, { ...d, direction: 'recipient', state: 'confirmed' }])).toBe('in-call');
    expect(lampState([{ ...d, direction: 'recipient', state: 'terminated' }])).toBe('idle');
  });
});
