import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../../system/store/index.ts';

/**
 * The extensions read cache of a connection control section (cacheReads / forgetCached): a
 * worker reads an extension several times per REGISTER and never writes one. Two real
 * connections to one store file: `worker` caches, `admin` writes (as the control section, the
 * CLI or a peer's replication do, from another process).
 */
const dir = mkdtempSync(join(tmpdir(), 'appliance-ext-cache-'));
const admin = openStore(dir);
const worker = openStore(dir);
afterAll(() => {
  worker.close();
  admin.close();
  rmSync(dir, { recursive: true, force: true });
});
worker.extensions.cacheReads();
const rec = (number: string, ha1Md5 = 'a'.repeat(32)) => ({ number, displayName: `Ext ${number}`, realm: 'office.lan', ha1Md5, ha1Sha256: 'b'.repeat(64), e164: null });
const ha1 = (s: Store, n: string) => s.extensions.get(n)?.ha1Md5;

describe('extensions read cache', () => {
  test('a miss is not cached: an extension added by another connection is found at once', () => {
    expect(worker.extensions.get('201')).toBeUndefined();
    admin.extensions.add(rec('201'));
    expect(ha1(worker, '201')).toBe('a'.repeat(32));
  });

  test('a hit is kept until forgetCached (what the store watch calls on a change), then read again', () => {
    admin.extensions.update('201', { ha1Md5: 'c'.repeat(32) });
    expect(ha1(worker, '201')).toBe('a'.repeat(32));
    worker.extensions.forgetCached();
    expect(ha1(worker, '201')).toBe('c'.repeat(32));
  });

  test('a removal elsewhere is seen after forgetCached', () => {
    admin.extensions.add(rec('202'));
    expect(worker.extensions.get('202')).toBeDefined();
    admin.extensions.remove('202');
    worker.extensions.forgetCached();
    expect(worker.extensions.get('202')).toBeUndefined();
  });

  test("the cache's own writes forget what they change (no stale read after update, remove, learnSha256)", () => {
    worker.extensions.add(rec('203'));
    expect(ha1(worker, '203')).toBe('a'.repeat(32));
    worker.extensions.update('203', { ha1Md5: 'd'.repeat(32) });
    expect(ha1(worker, '203')).toBe('d'.repeat(32));
    expect(worker.extensions.learntSha256('203')).toEqual([]);
    expect(worker.extensions.learnSha256('203', 'Phone/1.0')).toBe(true);
    expect(worker.extensions.learntSha256('203')).toEqual(['Phone/1.0']);
    worker.extensions.remove('203');
    expect(worker.extensions.get('203')).toBeUndefined();
  });

  test('learnt lists are cached too (an empty list as well), and callers cannot change the cached one', () => {
    admin.extensions.add(rec('204'));
    expect(worker.extensions.learntSha256('204')).toEqual([]);
    admin.extensions.learnSha256('204', 'Other/2.0');
    expect(worker.extensions.learntSha256('204')).toEqual([]);
    worker.extensions.forgetCached();
    const list = worker.extensions.learntSha256('204');
    expect(list).toEqual(['Other/2.0']);
    list.push('tampered');
    expect(worker.extensions.learntSha256('204')).toEqual(['Other/2.0']);
  });

  test('a connection that did not ask for it reads through', () => {
    admin.extensions.update('201', { ha1Md5: 'e'.repeat(32) });
    const other = openStore(dir);
    try {
      expect(ha1(other, '201')).toBe('e'.repeat(32));
      admin.extensions.update('201', { ha1Md5: 'f'.repeat(32) });
      expect(ha1(other, '201')).toBe('f'.repeat(32));
    } finally {
      other.close();
    }
  });
});
