import { expect, test } from 'bun:test';
import { RefusalLogLimiter } from '../../../appliance/peers/peer-auth.ts';

test('a few rows per window per source and kind; the next row written carries the suppressed count', () => {
  const l = new RefusalLogLimiter(2, 1000, 3);
  const at = (t: number, src = 'a', kind = 'bad signature') => l.admit(src, kind, t);
  expect([at(0), at(1), at(2), at(3)]).toEqual([{ log: true, suppressed: 0 }, { log: true, suppressed: 0 }, { log: false, suppressed: 0 }, { log: false, suppressed: 0 }]);
  expect(at(5, 'a', 'unknown peer')).toEqual({ log: true, suppressed: 0 }); // another kind
  expect(at(6, 'b')).toEqual({ log: true, suppressed: 0 }); // another source
  expect(at(1000)).toEqual({ log: true, suppressed: 2 });
  expect(at(1001)).toEqual({ log: true, suppressed: 0 });
});

test('bounded: a spray of sources keeps at most maxEntries and writes at most the total budget', () => {
  const l = new RefusalLogLimiter(1, 60_000, 100, 30);
  let rows = 0;
  for (let i = 0; i < 10_000; i++) if (l.admit(`10.0.${i >> 8}.${i & 255}`, 'bad signature', 0).log) rows++;
  expect(rows).toBe(30);
  expect(l.admit('192.0.2.1', 'bad signature', 60_000)).toEqual({ log: true, suppressed: 0 }); // next window
  expect((l as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(100);
});
