import { describe, expect, test } from 'bun:test';
import { callRecordQuery, callRecordsCsv } from '../../../appliance/admin/call-records-export.ts';
import { ValidationError } from '../../../system/errors/index.ts';
import type { CallRecord } from '../../../system/store/index.ts';

const q = (values: Record<string, string>) => callRecordQuery((n) => values[n], 500);

describe('callRecordQuery', () => {
  test('every filter', () => {
    expect(q({ since: '2026-12-01', until: '2026-12-02T10:00:00Z', extension: '201', direction: 'outbound', limit: '20' })).toEqual({
      since: new Date('2026-12-01T00:00:00').getTime(), until: Date.UTC(2026, 11, 2, 10), extension: '201', direction: 'outbound', limit: 20,
    });
    expect(q({ since: '1796210000000' })).toEqual({ since: 1796210000000 });
    expect(q({})).toEqual({});
    expect(q({ limit: '999999' }).limit).toBe(500);
  });
  const bad: [string, Record<string, string>, string][] = [
    ['a date that is none', { since: 'yesterday' }, 'since'],
    ['an until that is none', { until: '2026-13-45' }, 'until'],
    ['an extension with SQL in it', { extension: "201' OR '1'='1" }, 'extension'],
    ['an unknown direction', { direction: 'sideways' }, 'direction'],
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit not a number', { limit: 'ten' }, 'limit'],
  ];
  for (const [name, values, field] of bad) {
    test(`${name} → error naming ${field}`, () => {
      let err: unknown;
      try { q(values); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    });
  }
});

describe('callRecordsCsv (RFC 4180)', () => {
  const r = (over: Partial<CallRecord>): CallRecord => ({
    id: 1, callId: 'c1', fromTag: 'f', toTag: 't', from: 'sip:201@office.lan', to: 'sip:202@office.lan', routedTo: null, direction: 'internal',
    trunk: null, forwardedBy: null, startedAt: Date.UTC(2026, 11, 2, 9), answeredAt: Date.UTC(2026, 11, 2, 9, 0, 4), endedAt: Date.UTC(2026, 11, 2, 9, 1, 4), result: 200, reason: 'BYE', worker: 1, ...over,
  });
  test('header, one line per record, duration from answer to end, CRLF', () => {
    expect(callRecordsCsv([r({})])).toBe('started,answered,ended,duration_s,direction,from,to,routed_to,trunk,result,reason,worker,call_id,forwarded_by\r\n'
      + '2026-12-02T09:00:00.000Z,2026-12-02T09:00:04.000Z,2026-12-02T09:01:04.000Z,60,internal,sip:201@office.lan,sip:202@office.lan,,,200,BYE,1,c1,\r\n');
  });
  test('a failed call has no answer and no duration', () => {
    expect(callRecordsCsv([r({ answeredAt: null, result: 486, reason: '486 Busy Here' })]).split('\r\n')[1]).toBe(
      '2026-12-02T09:00:00.000Z,,2026-12-02T09:01:04.000Z,,internal,sip:201@office.lan,sip:202@office.lan,,,486,486 Busy Here,1,c1,');
  });
  test('attack: quotes, commas and line breaks are quoted; a formula is defused', () => {
    const line = callRecordsCsv([r({ callId: 'a"b,c\r\nd', reason: '=HYPERLINK("http://x")' })]).split('\r\n').slice(1).join('\r\n');
    expect(line).toContain('"\'=HYPERLINK(""http://x"")"');
    expect(line).toContain('"a""b,c\r\nd"');
  });
});
