import { describe, expect, test } from 'bun:test';
import { admitTombstone, capTombstones, TOMBSTONE_FLOOR, TombstoneCapLog, tombstoneCap, type TableCount } from '../../../appliance/peers/tombstone-cap.ts';
import type { ReplicatedRow } from '../../../system/store/index.ts';

describe('the bound on a peer\'s tombstones (issue 19)', () => {
  const cases: [string, boolean, TableCount, boolean][] = [
    ['unknown row, empty table', false, { live: 0, tombstones: 0 }, true],
    ['unknown row, one below the floor', false, { live: 10, tombstones: TOMBSTONE_FLOOR - 1 }, true],
    ['unknown row, at the floor', false, { live: 10, tombstones: TOMBSTONE_FLOOR }, false],
    ['unknown row, big table: 2 x live is the bound', false, { live: 800, tombstones: 1599 }, true],
    ['unknown row, big table at 2 x live', false, { live: 800, tombstones: 1600 }, false],
    ['known row, far over the bound: a deletion is never lost', true, { live: 1, tombstones: 1_000_000 }, true],
    ['known row, empty table', true, { live: 0, tombstones: 0 }, true],
  ];
  test.each(cases)('%s', (_name, known, table, admitted) => {
    expect(admitTombstone(known, table)).toBe(admitted);
  });

  test('the cap is max(1000, 2 x live rows)', () => {
    expect([0, 499, 500, 501, 10_000].map(tombstoneCap)).toEqual([1000, 1000, 1000, 1002, 20_000]);
  });

  const row = (kind: ReplicatedRow['kind'], key: string, deleted: boolean): ReplicatedRow => ({ kind, key, t: 1, origin: 'a', deleted });
  const run = (rows: ReplicatedRow[], held: Set<string>, counts: Record<string, TableCount>) => capTombstones(rows, {
    isTombstone: (r) => r.deleted, key: (r) => `${r.kind}:${r.key}`, table: (r) => r.kind,
    known: (r) => held.has(`${r.kind}:${r.key}`), count: (t) => counts[t] ?? { live: 0, tombstones: 0 },
  });

  const batches: [string, ReplicatedRow[], Set<string>, Record<string, TableCount>, string[], Record<string, number>][] = [
    ['room for two more unknown tombstones of extensions: the third is dropped, known ones all apply',
      [row('extension', '1', true), row('extension', '2', true), row('extension', '3', true), row('extension', '300', true)],
      new Set(['extension:300']), { extension: { live: 5, tombstones: 998 } },
      ['extension:1', 'extension:2', 'extension:300'], { extension: 1 }],
    ['per table: a full extension table does not stop a DNS record tombstone',
      [row('extension', '1', true), row('dns-record', '["x","A","1"]', true)],
      new Set(), { extension: { live: 0, tombstones: 1000 } },
      ['dns-record:["x","A","1"]'], { extension: 1 }],
    ['a row added earlier in the batch is known: its removal applies at the bound',
      [row('extension', '7', false), row('extension', '7', true)],
      new Set(), { extension: { live: 0, tombstones: 5000 } },
      ['extension:7', 'extension:7'], {}],
    ['new live rows raise the bound within the batch',
      [...Array.from({ length: 600 }, (_, i) => row('ring-group', String(1000 + i), false)), row('ring-group', '99', true), row('ring-group', '98', true)],
      new Set(), { 'ring-group': { live: 0, tombstones: 1199 } },
      [...Array.from({ length: 600 }, (_, i) => `ring-group:${1000 + i}`), 'ring-group:99'], { 'ring-group': 1 }],
    ['live rows and known tombstones pass whatever the counts',
      [row('setting', 'emergency.trunk', false), row('trunk', 'sip1', true)],
      new Set(['trunk:sip1']), { setting: { live: 0, tombstones: 9999 }, trunk: { live: 0, tombstones: 9999 } },
      ['setting:emergency.trunk', 'trunk:sip1'], {}],
  ];
  test.each(batches)('%s', (_name, rows, held, counts, kept, dropped) => {
    const out = run(rows, held, counts);
    expect(out.kept.map((r) => `${r.kind}:${r.key}`)).toEqual(kept);
    expect(Object.fromEntries(out.dropped)).toEqual(dropped);
  });

  test('dropped tombstones are logged at most once a minute per peer, with what was held back', () => {
    const events: { kind: string; details?: Record<string, unknown> }[] = [];
    const log = new TombstoneCapLog((kind, _m, details) => events.push({ kind, details }), 60_000);
    log.note('a', new Map([['extension', 500]]), 0);
    for (let i = 1; i <= 99; i++) log.note('a', new Map([['extension', 500]]), i * 100);
    log.note('b', new Map([['binding', 3]]), 200);
    log.note('a', new Map([['dns-record', 2]]), 60_000);
    log.note('a', new Map(), 200_000);
    expect(events.map((e) => [e.kind, e.details?.peer, e.details?.dropped])).toEqual([
      ['peer.tombstones.capped', 'a', 500], ['peer.tombstones.capped', 'b', 3], ['peer.tombstones.capped', 'a', 99 * 500 + 2],
    ]);
    expect(events[2]!.details?.tables).toEqual({ extension: 99 * 500, 'dns-record': 2 });
    expect(Object.fromEntries(log.totals.get('a')!)).toEqual({ extension: 50_000, 'dns-record': 2 });
  });
});
