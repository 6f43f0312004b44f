import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallRecorder, callDirection, recordOf } from '../../../appliance/control/call-records.ts';
import { openStore } from '../../../system/store/index.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { directionRules } from '../../../appliance/control/live-config.ts';
import type { DialogEvent } from '../../../appliance/sip/dialog-events.ts';

const RULES = { ourHosts: new Set(['office.lan', '192.168.1.2']), emergencyNumbers: new Set(['911', '112']) };

describe('callDirection', () => {
  const rows: [string, string, string, string][] = [
    ['extension to extension', 'sip:201@office.lan', 'sip:202@office.lan', 'internal'],
    ['to our address', 'sip:201@office.lan', 'sip:202@192.168.1.2:5060', 'internal'],
    ['host names compared without case', 'sip:201@Office.LAN', 'sip:202@OFFICE.lan', 'internal'],
    ['to another domain', 'sip:201@office.lan', 'sip:bob@example.com', 'outbound'],
    ['from another domain', 'sip:bob@example.com', 'sip:201@office.lan', 'inbound'],
    ['to an emergency number, even of another domain', 'sip:201@office.lan', 'sip:911@example.com', 'emergency'],
    ['112', 'sips:201@office.lan', 'sip:112@office.lan', 'emergency'],
    ['unreadable URIs: internal', 'garbage', 'more garbage', 'internal'],
  ];
  for (const [name, from, to, want] of rows) test(name, () => expect(callDirection(from, to, RULES)).toBe(want as never));
});

describe('recordOf', () => {
  const base = { callId: 'c1', from: 'sip:201@office.lan', to: 'sip:202@office.lan' };
  test('an answer opens an answered record from the INVITE time', () => {
    const e: DialogEvent = { kind: 'start', ...base, tags: ['f', 't'], ts: 5000, invitedAt: 1000 };
    expect(recordOf(e, 2, RULES)).toEqual({ ...base, fromTag: 'f', toTag: 't', routedTo: null, trunk: null, direction: 'internal', startedAt: 1000, answeredAt: 5000, result: 200, worker: 2 });
  });
  test('a failure opens an ended record with its status', () => {
    const e: DialogEvent = { kind: 'failed', ...base, tags: ['f', ''], ts: 3000, status: 486, reason: '486 Busy Here' };
    expect(recordOf(e, 1, RULES)).toEqual({ ...base, fromTag: 'f', routedTo: null, trunk: null, direction: 'internal', startedAt: 3000, endedAt: 3000, result: 486, reason: '486 Busy Here', worker: 1 });
  });
  test('refreshes and ends open nothing', () => {
    expect(recordOf({ kind: 'end', callId: 'c1', tags: ['a', 'b'], ts: 1 }, 1, RULES)).toBeUndefined();
    expect(recordOf({ kind: 'refresh', callId: 'c1', tags: ['a', 'b'], ts: 1 }, 1, RULES)).toBeUndefined();
  });
  test("a peer's call through us (transit, issue 19) opens nothing here: the peer where the caller is records it", () => {
    expect(recordOf({ kind: 'start', ...base, tags: ['f', 't'], ts: 5000, transit: true }, 1, RULES)).toBeUndefined();
    expect(recordOf({ kind: 'failed', ...base, tags: ['f', ''], ts: 3000, status: 430, reason: '430 Flow Failed', transit: true }, 1, RULES)).toBeUndefined();
  });
});

describe('CallRecorder.configure (a reload)', () => {
  test('records after a reload use the new emergency numbers; earlier ones keep theirs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-'));
    const store = openStore(dir);
    const recorder = new CallRecorder(store.callRecords, RULES);
    const answered = (callId: string, to: string): DialogEvent => ({ kind: 'start', callId, tags: ['a', 'b'], from: 'sip:201@office.lan', to, ts: Date.now() });
    recorder.apply(1, [answered('before', 'sip:999@office.lan')]);
    recorder.configure({ ...RULES, emergencyNumbers: new Set(['999']) });
    recorder.apply(1, [answered('after', 'sip:999@office.lan')]);
    expect(store.callRecords.byCallId('before')?.direction).toBe('internal');
    expect(store.callRecords.byCallId('after')?.direction).toBe('emergency');
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('directionRules (issue 19: a peer is the office too)', () => {
  test("a call naming a peer's SIP host is internal; another host stays outbound", () => {
    const rules = directionRules(parseConfig(`name = "b"\n[sip]\nlisten = "127.0.0.2"\ndomain = "office.lan"\n` +
      `[[peers]]\nname = "a"\nurl = "http://127.0.0.1:8080"\nsip = "127.0.0.1:5060"\nsecret = "a long shared secret of the pair"\n` +
      `[[peers]]\nname = "c"\nurl = "http://pbx-c.office.lan:8080"\nsip = "PBX-C.office.lan:5060"\nsecret = "a long shared secret of the pair"\n`, 'test'));
    expect(callDirection('sip:201@office.lan', 'sip:841@127.0.0.1:5060', rules)).toBe('internal');
    expect(callDirection('sip:gateway@127.0.0.9', 'sip:841@127.0.0.1:5060', rules)).toBe('inbound');
    expect(callDirection('sip:201@office.lan', 'sip:841@pbx-c.office.lan', rules)).toBe('internal');
    expect(callDirection('sip:201@office.lan', 'sip:841@127.0.0.2', rules)).toBe('internal');
    expect(callDirection('sip:201@office.lan', 'sip:841@127.0.0.7', rules)).toBe('outbound');
  });
});
