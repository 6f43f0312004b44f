import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type NewCallRecord } from '../../../system/store/index.ts';

/** Call detail records in a real SQLite store (issue 14). */
const dir = mkdtempSync(join(tmpdir(), 'cdr-store-'));
let store = openStore(dir);
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 11, 2, 9, 0, 0);
const rec = (over: Partial<NewCallRecord>): NewCallRecord => ({
  callId: 'c1', fromTag: 'f1', from: 'sip:201@office.lan', to: 'sip:202@office.lan', routedTo: null, direction: 'internal',
  trunk: null, startedAt: T, result: 200, worker: 1, ...over,
});

describe('CallRecordsStore', () => {
  test('answered, then ended by a BYE from the callee (tags the other way round)', () => {
    store.callRecords.open(rec({ toTag: 't1', answeredAt: T + 4000 }));
    expect(store.callRecords.end('c1', ['t1', 'f1'], T + 64_000, 'BYE')).toBe(true);
    const [r] = store.callRecords.list({ extension: '201' });
    expect(r).toMatchObject({ callId: 'c1', fromTag: 'f1', toTag: 't1', startedAt: T, answeredAt: T + 4000, endedAt: T + 64_000, result: 200, reason: 'BYE', worker: 1 });
    // Ended once: a second BYE answer changes nothing.
    expect(store.callRecords.end('c1', ['f1', 't1'], T + 70_000, 'BYE answered 481')).toBe(false);
  });

  test('the same call reported twice (a 2xx retransmission on another worker) is one record; first facts win', () => {
    const id1 = store.callRecords.open(rec({ callId: 'c2', toTag: 't2', answeredAt: T + 1000 }));
    const id2 = store.callRecords.open(rec({ callId: 'c2', toTag: 't9', answeredAt: T + 1500, worker: 2 }));
    expect(id2).toBe(id1);
    const [r] = store.callRecords.list({ since: T, until: T + 1 }).filter((x) => x.callId === 'c2');
    expect(r).toMatchObject({ toTag: 't2', answeredAt: T + 1000, worker: 1 });
  });

  test('a failed call: no answer, ended at its final response', () => {
    store.callRecords.open(rec({ callId: 'c3', startedAt: T + 10, endedAt: T + 900, result: 486, reason: '486 Busy Here', to: 'sip:203@office.lan' }));
    const [r] = store.callRecords.list({ extension: '203' });
    expect(r).toMatchObject({ answeredAt: null, endedAt: T + 900, result: 486, reason: '486 Busy Here' });
  });

  test('filters: time, extension (user part only, LIKE characters literal), direction; newest first; limit', () => {
    store.callRecords.open(rec({ callId: 'c4', fromTag: 'x', startedAt: T + 20, from: 'sip:2%1@office.lan', direction: 'emergency', to: 'sip:911@office.lan' }));
    expect(store.callRecords.list({ extension: '2%1' }).map((r) => r.callId)).toEqual(['c4']);
    expect(store.callRecords.list({ extension: '20' })).toEqual([]); // not a prefix match of 201/202
    expect(store.callRecords.list({ direction: 'emergency' }).map((r) => r.callId)).toEqual(['c4']);
    expect(store.callRecords.list({ since: T + 10 }).map((r) => r.callId)).toEqual(['c4', 'c3']);
    expect(store.callRecords.list({ until: T + 10 }).map((r) => r.callId).sort()).toEqual(['c1', 'c2']);
    expect(store.callRecords.list({ limit: 1 })).toHaveLength(1);
  });

  test('outside calls: a forwarded call counts for the extension that forwarded it, not the caller (issue 15)', () => {
    const d = mkdtempSync(join(tmpdir(), 'cdr-fwd-'));
    const s = openStore(d);
    const out = (callId: string, over: Partial<NewCallRecord>) => s.callRecords.open(rec({ callId, direction: 'outbound', trunk: 'gw', routedTo: '+12125551234', toTag: 't', answeredAt: T + 100, ...over }));
    out('o1', { from: 'sip:301@office.lan' });
    out('o2', { from: 'sip:302@office.lan', to: 'sip:301@office.lan', forwardedBy: '301' });
    out('o3', { from: 'sip:+15551230100@gw.example', to: 'sip:301@office.lan', forwardedBy: '301', endedAt: T + 200 });
    out('o4', { from: 'sip:301@office.lan', to: 'sip:303@office.lan', forwardedBy: '303' });
    const cases: [string, { open: number; started: number }][] = [
      ['301', { open: 2, started: 3 }], // its own call and the two its forward sent out (one ended)
      ['302', { open: 0, started: 0 }], // its call to 301 left because of 301's forward
      ['303', { open: 1, started: 1 }],
    ];
    for (const [ext, want] of cases) expect(s.callRecords.outsideCalls(ext, T - 1)).toEqual(want);
    expect(s.callRecords.outsideCalls('301', T + 1)).toEqual({ open: 2, started: 0 }); // the hour since
    expect(s.callRecords.byCallId('o3')).toMatchObject({ forwardedBy: '301', direction: 'outbound', trunk: 'gw' });
    expect(s.callRecords.byCallId('o1')?.forwardedBy).toBeNull();
    s.close();
    rmSync(d, { recursive: true, force: true });
  });

  test('retention purges what started before the cut; records survive a reopen', () => {
    expect(store.callRecords.purgeBefore(T + 1)).toBe(2);
    store.close();
    store = openStore(dir);
    expect(store.callRecords.list().map((r) => r.callId)).toEqual(['c4', 'c3']);
  });
});
