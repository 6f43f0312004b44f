import { describe, expect, test } from 'bun:test';
import { levelOfKind, Logger, type LogSettings } from '../../../system/log/logger.ts';
import type { EventKind } from '../../../system/log/event-kinds.ts';
import type { Level } from '../../../system/log/log-record.ts';

/** The level filter per area, status lines, and the level an event kind implies. */
function capture(settings: Partial<LogSettings> = {}, worker?: number) {
  const lines: string[] = [];
  const logger = new Logger({ format: 'json', level: 'info', areas: {}, ...settings }, (l) => lines.push(l), worker, () => 0);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  const ALL: Level[] = ['debug', 'info', 'warn', 'error'];
  test.each([
    // default level, area override, line's area, line's level → written?
    ['info', {}, 'sip', 'debug', false], ['info', {}, 'sip', 'info', true], ['info', {}, 'sip', 'error', true],
    ['warn', {}, 'dns', 'info', false], ['warn', {}, 'dns', 'warn', true], ['error', {}, 'web', 'warn', false],
    ['info', { sip: 'debug' }, 'sip', 'debug', true], ['info', { sip: 'debug' }, 'dns', 'debug', false],
    ['debug', { control: 'error' }, 'control', 'warn', false], ['debug', { control: 'error' }, 'peer', 'debug', true],
  ] as const)('level %p, areas %p: a %p line at %p written: %p', (level, areas, area, at, written) => {
    const c = capture({ level, areas });
    c.logger.line(`${area}: x`, at);
    expect(c.lines.length).toBe(written ? 1 : 0);
    expect(c.logger.enabled(at, area)).toBe(written);
  });

  test('every level is written at debug, in order, with the worker id', () => {
    const c = capture({ level: 'debug' }, 3);
    for (const l of ALL) c.logger.log(l, 'sip.request', l);
    expect(c.records().map((r) => [r.level, r.worker])).toEqual(ALL.map((l) => [l, 3]));
  });

  test('status lines: their prefix is the kind (and so the area); other text is "appliance"', () => {
    const c = capture({ areas: { web: 'warn' } });
    c.logger.line('dns: serving office.lan on 0.0.0.0:53 (udp+tcp)');
    c.logger.line('web: admin UI on https://127.0.0.1:8080/'); // web at warn: filtered
    c.logger.line('no prefix here');
    c.logger.line('Weird: capitalised');
    expect(c.records().map((r) => [r.kind, r.msg])).toEqual([
      ['dns', 'serving office.lan on 0.0.0.0:53 (udp+tcp)'], ['appliance', 'no prefix here'], ['appliance', 'Weird: capitalised'],
    ]);
  });

  test('configure: new settings apply to the next line', () => {
    const c = capture();
    c.logger.log('debug', 'sip.request', 'a');
    c.logger.configure({ format: 'text', level: 'info', areas: { sip: 'debug' } });
    c.logger.log('debug', 'sip.request', 'b');
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/ DEBUG sip\.request: b$/);
  });

  test.each([
    ['sip.error', 'error'], ['control.sampler.error', 'error'], ['control.worker.crash', 'warn'], ['admin.login.failed', 'warn'],
    ['sip.auth.failed', 'warn'], ['trunk.failed', 'warn'], ['trunk.unreachable', 'warn'], ['sip.ban', 'warn'], ['peer.hand-off.refused', 'warn'],
    ['peer.clock.skewed', 'warn'], ['peer.tombstones.capped', 'warn'], ['peer.clock.ok', 'info'],
    ['control.start', 'info'], ['sip.banner', 'info'], ['admin.extension.add', 'info'], ['errors.count', 'info'],
  ] as const)('event %p is %p', (kind, level) => {
    expect(levelOfKind(kind)).toBe(level);
    const c = capture({ level: 'debug' });
    // 'sip.banner' and 'errors.count' are no kinds: they test the rule's edges, written all the same.
    c.logger.event(kind as EventKind, 'm', { a: 1 }, 42);
    expect(c.records()[0]).toMatchObject({ level, kind, details: { a: 1 }, ts: new Date(42).toISOString() });
  });
});
