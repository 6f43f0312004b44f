import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { EventsStore, openStore } from '../../../system/store/index.ts';

/**
 * The event log cannot be flooded (issue 10 finding 7): a per-kind rate on the append path with
 * the excess summarised, and retention by age and count. Against a real SQLite store.
 */
const root = mkdtempSync(join(tmpdir(), 'events-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (rate?: number) => openStore(join(root, `s${++n}`), rate === undefined ? {} : { events: { ratePerKind: rate } });

const suppressedIn = (rows: { details: Record<string, unknown> }[]) => rows.reduce((sum, r) => sum + Number(r.details.suppressed ?? 0), 0);

describe('event log rate per kind', () => {
  test('100,000 junk appends in a tight loop write at most the rate per second plus one summary row per second', () => {
    const store = fresh(20);
    try {
      const started = Date.now();
      for (let i = 0; i < 100_000; i++) store.events.append('sip.error', `junk ${i}`, { source: '127.0.20.9:5060' });
      store.events.append('admin.login', 'a real event during the flood');
      const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
      store.events.flush(undefined, true);
      const rows = store.events.recent(1_000_000, 'sip.error');
      const summaries = rows.filter((r) => r.details.suppressed !== undefined);
      const written = rows.length - summaries.length;
      expect(written).toBeLessThanOrEqual(20 * seconds);
      expect(summaries.length).toBeGreaterThanOrEqual(1);
      expect(summaries.length).toBeLessThanOrEqual(seconds);
      // Nothing is lost from the count: every append is a row or counted in a summary.
      expect(written + suppressedIn(summaries)).toBe(100_000);
      expect(summaries[0].message).toMatch(/^… \d+ more "sip\.error" events suppressed \(over 20 per second\)$/);
      // Other kinds keep their own budget.
      expect(store.events.recent(10, 'admin.login').map((r) => r.message)).toEqual(['a real event during the flood']);
    } finally {
      store.close();
    }
  });

  test('the summary comes when the kind\'s second is over, by the next append of any kind or on close', () => {
    let now = 1_000_000;
    const dir = join(root, 'clock');
    const store = openStore(dir);
    const events = new EventsStore(store.db, { ratePerKind: 5 }, () => now);
    for (let i = 0; i < 12; i++) events.append('admin.login.failed', `fail ${i}`);
    expect(events.recent(100, 'admin.login.failed')).toHaveLength(5);
    now += 999;
    events.append('control.scale-out', 'same second: no summary yet');
    expect(events.recent(100, 'admin.login.failed')).toHaveLength(5);
    now += 1;
    events.append('control.scale-out', 'next second');
    const rows = events.recent(100, 'admin.login.failed');
    expect(rows).toHaveLength(6);
    expect(rows[0].details).toEqual({ suppressed: 7, from: 1_000_000, until: 1_001_000 });
    expect(rows[0].message).toBe('… 7 more "admin.login.failed" events suppressed (over 5 per second)');
    // A new second gives the kind its budget back.
    events.append('admin.login.failed', 'fail again');
    expect(events.recent(1, 'admin.login.failed')[0].message).toBe('fail again');
    // A pending summary is not lost when the process stops.
    for (let i = 0; i < 9; i++) events.append('sip.error', 'x');
    events.flush(now, true);
    expect(events.recent(1, 'sip.error')[0].details.suppressed).toBe(4);
    store.close();
  });
});

describe('event log retention', () => {
  test('prune removes rows older than retention_days, then the oldest beyond max_events', () => {
    const store = fresh();
    try {
      const now = Date.now();
      const insert = store.db.query('INSERT INTO events (ts, kind, message) VALUES (?, ?, ?)');
      store.db.transaction(() => {
        for (let i = 0; i < 12_000; i++) insert.run(now - 40 * 86_400_000 + i, 'old', `old ${i}`);
        for (let i = 0; i < 8_000; i++) insert.run(now - 1000 + i / 100, 'new', `new ${i}`);
      })();
      expect(store.events.count()).toBe(20_000);
      expect(store.events.prune({ retentionDays: 30, maxEvents: 100_000 }, now)).toBe(12_000);
      expect(store.events.count()).toBe(8_000);
      expect(store.events.prune({ retentionDays: 30, maxEvents: 1_000 }, now)).toBe(7_000);
      const left = store.events.recent(2_000);
      expect(left).toHaveLength(1_000);
      expect(left[0].message).toBe('new 7999');
      expect(left.at(-1)!.message).toBe('new 7000');
      expect(store.events.prune({ retentionDays: 30, maxEvents: 1_000 }, now)).toBe(0);
    } finally {
      store.close();
    }
  });
});

describe('event log → log lines (onAppend)', () => {
  test('every stored row is told once, the suppressed ones are not, their summary is', () => {
    const store = fresh(3);
    const told: [string, string, Record<string, unknown>][] = [];
    store.events.onAppend = (kind, message, details) => told.push([kind, message, details]);
    try {
      for (let i = 0; i < 10; i++) store.events.append('sip.error', `junk ${i}`, { i });
      store.events.flush(undefined, true);
      const rows = store.events.recent(100, 'sip.error');
      expect(told.length).toBe(rows.length);
      expect(told.slice(0, 3).map((t) => t[1])).toEqual(['junk 0', 'junk 1', 'junk 2']);
      expect(told[3][2]).toMatchObject({ suppressed: 7 });
    } finally {
      store.close();
    }
  });
});

describe('[log] configuration', () => {
  test('defaults, overrides, and a bad value names its key', () => {
    const base = `data_dir = "${root}"\n`;
    expect(parseConfig(base, 't').log).toEqual({ retentionDays: 30, maxEvents: 100_000, ratePerKind: 20, format: 'text', level: 'info', areas: {} });
    expect(parseConfig(`${base}[log]\nretention_days = 7\nmax_events = 5000\nrate_per_kind = 50\n`, 't').log).toEqual({ retentionDays: 7, maxEvents: 5000, ratePerKind: 50, format: 'text', level: 'info', areas: {} });
    expect(() => parseConfig(`${base}[log]\nmax_events = 10\n`, 't')).toThrow(/log\.max_events/);
    expect(() => parseConfig(`${base}[log]\nkeep = 1\n`, 't')).toThrow(/log\.keep: unknown key/);
  });
  test('format, level and a level per area; typos fail naming the key', () => {
    const base = `data_dir = "${root}"\n`;
    expect(parseConfig(`${base}[log]\nformat = "json"\nlevel = "warn"\n[log.areas]\nsip = "debug"\ndns = "error"\n`, 't').log)
      .toMatchObject({ format: 'json', level: 'warn', areas: { sip: 'debug', dns: 'error' } });
    for (const [text, key] of [
      ['[log]\nformat = "xml"', 'log.format'], ['[log]\nlevel = "verbose"', 'log.level'], ['[log]\nlevel = 3', 'log.level'],
      ['[log.areas]\nsipp = "debug"', 'log.areas.sipp'], ['[log.areas]\nsip = "loud"', 'log.areas.sip'], ['[log]\nareas = "sip"', 'log.areas'],
    ]) expect(() => parseConfig(`${base}${text}\n`, 't')).toThrow(new RegExp(`${key.replace(/\./g, '\\.')}:`));
  });
});
