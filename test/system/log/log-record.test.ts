import { describe, expect, test } from 'bun:test';
import { areaOf, jsonLine, redact, REDACTED, textLine, type LogRecord } from '../../../system/log/log-record.ts';

/** The two written forms of a log line, and what is never written. */
const TS = Date.UTC(2026, 11, 2, 18, 40, 0, 123);
const rec = (over: Partial<LogRecord> = {}): LogRecord => ({ ts: TS, level: 'info', kind: 'sip.ban', message: 'banned 192.0.2.7', ...over });

describe('log records', () => {
  test.each([
    [rec(), '2026-12-02T18:40:00.123Z INFO  sip.ban: banned 192.0.2.7'],
    [rec({ level: 'warn', worker: 2, details: { address: '192.0.2.7', until: 5 } }), '2026-12-02T18:40:00.123Z WARN  [cc 2] sip.ban: banned 192.0.2.7 address="192.0.2.7" until=5'],
    [rec({ level: 'error', message: 'two\nlines\r\nhere', details: {} }), '2026-12-02T18:40:00.123Z ERROR sip.ban: two\\nlines\\r\\nhere'],
    [rec({ level: 'debug', details: { n: 10n, e: new Error('boom'), nested: { a: [1, 'x'] } } }), '2026-12-02T18:40:00.123Z DEBUG sip.ban: banned 192.0.2.7 n="10" e="boom" nested={"a":[1,"x"]}'],
  ])('text %#', (r, line) => expect(textLine(r)).toBe(line));

  test('json: one object, ISO time, area from the kind, worker and details only when present', () => {
    expect(JSON.parse(jsonLine(rec()))).toEqual({ ts: '2026-12-02T18:40:00.123Z', level: 'info', area: 'sip', kind: 'sip.ban', msg: 'banned 192.0.2.7' });
    const withAll = JSON.parse(jsonLine(rec({ worker: 0, message: 'a\nb', details: { address: '192.0.2.7' } })));
    expect(withAll).toEqual({ ts: '2026-12-02T18:40:00.123Z', level: 'info', area: 'sip', kind: 'sip.ban', worker: 0, msg: 'a\nb', details: { address: '192.0.2.7' } });
    expect(jsonLine(rec({ message: 'a\nb' }))).not.toContain('\n');
  });

  test.each([
    ['password'], ['Password'], ['trunkPassword'], ['passphrase'], ['secret'], ['peer_secret'], ['token'], ['setupToken'],
    ['authorization'], ['Proxy-Authorization'], ['ha1'], ['ha1Sha256'], ['credentials'], ['privateKey'],
  ])('a detail named %p is redacted in both forms, at any depth', (key) => {
    const details = { [key]: 'S3cr3t-value', inner: { [key]: 'S3cr3t-value', ok: 1 } };
    for (const line of [textLine(rec({ details })), jsonLine(rec({ details }))]) {
      expect(line).not.toContain('S3cr3t-value');
      expect(line).toContain(REDACTED);
    }
  });

  test('harmless keys pass', () => {
    expect(redact({ address: 'a', user: 'u', number: '201', callId: 'c', key: 'tcp:1.2.3.4:5' })).toEqual({ address: 'a', user: 'u', number: '201', callId: 'c', key: 'tcp:1.2.3.4:5' });
  });

  test.each([['sip.auth.failed', 'sip'], ['web', 'web'], ['control.worker.ready', 'control'], ['', '']])('area of %p is %p', (kind, area) => {
    expect(areaOf(kind)).toBe(area);
  });
});
