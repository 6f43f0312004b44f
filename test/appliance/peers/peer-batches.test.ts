import { describe, expect, test } from 'bun:test';
import { batchesBySize, PEER_BODY_BUDGET } from '../../../appliance/peers/peer-batches.ts';
import { MAX_UNAUTHENTICATED_BODY_BYTES } from '../../../appliance/web/body-limit.ts';

describe('peer request batches cut by count and size (issue 19)', () => {
  const row = (n: number, pad = 0) => ({ key: String(n), data: 'x'.repeat(pad) });
  const cases: [string, unknown[], number, number, number[]][] = [
    ['nothing', [], 500, 1000, []],
    ['under both limits: one batch', [row(1), row(2), row(3)], 500, 1000, [3]],
    ['by count', Array.from({ length: 7 }, (_, i) => row(i)), 3, 100_000, [3, 3, 1]],
    // Each row is 29 bytes of JSON plus a comma: 2 + 3 x 30 = 92 fits 92, a fourth does not.
    ['by size', Array.from({ length: 7 }, (_, i) => row(i, 8)), 500, 92, [3, 3, 1]],
    ['a row larger than the budget goes alone', [row(1), row(2, 500), row(3)], 500, 100, [1, 1, 1]],
    ['UTF-8 bytes, not characters', [row(1, 20).data.replace(/x/g, 'é'), 'a'], 500, 25, [1, 1]],
  ];
  test.each(cases)('%s', (_n, items, maxItems, maxBytes, sizes) => {
    const out = batchesBySize(items, maxItems, maxBytes);
    expect(out.map((b) => b.length)).toEqual(sizes);
    expect(out.flat()).toEqual(items);
    for (const b of out) if (b.length > 1) expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(maxBytes);
  });

  test('500 extension rows of ~400 bytes: every request body under the peer API limit', () => {
    const ext = { kind: 'extension', key: '1234', t: Date.now(), origin: 'appliance-a', deleted: false,
      data: { number: '1234', displayName: 'Reception desk on the ground floor', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: null,
        digest: 'default', callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null } };
    const rows = Array.from({ length: 500 }, () => ext);
    expect(Buffer.byteLength(JSON.stringify({ rows }))).toBeGreaterThan(MAX_UNAUTHENTICATED_BODY_BYTES);
    const out = batchesBySize(rows, 500);
    expect(out.length).toBeGreaterThan(1);
    for (const b of out) expect(Buffer.byteLength(JSON.stringify({ rows: b }))).toBeLessThanOrEqual(PEER_BODY_BUDGET + 16);
  });
});
