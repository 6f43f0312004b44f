import { describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { ConfigVersionsStore, ExtensionsStore, migrate, newerVersion, type ReplicatedRow } from '../../../system/store/index.ts';

function fresh(origin: string) {
  const db = new Database(':memory:');
  migrate(db);
  const versions = new ConfigVersionsStore(db);
  versions.setOrigin(origin);
  return { db, versions, extensions: new ExtensionsStore(db) };
}
const base = { displayName: 'x', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: null };

describe('config versions (issue 19)', () => {
  test.each([
    [{ t: 2, origin: 'a' }, { t: 1, origin: 'b' }, true],
    [{ t: 1, origin: 'b' }, { t: 2, origin: 'a' }, false],
    [{ t: 1, origin: 'b' }, { t: 1, origin: 'a' }, true],
    [{ t: 1, origin: 'a' }, { t: 1, origin: 'b' }, false],
    [{ t: 1, origin: 'a' }, { t: 1, origin: 'a' }, false],
    [{ t: 1, origin: 'a' }, undefined, true],
  ])('newerVersion(%o, %o) = %p (the same answer on every member)', (a, b, want) => {
    expect(newerVersion(a, b)).toBe(want);
  });

  test('local writes are versioned by the triggers, a deletion leaves a tombstone, the clock never goes back', () => {
    const { versions, extensions } = fresh('a');
    extensions.add({ number: '201', ...base });
    const v1 = versions.version('extension', '201')!;
    expect(v1).toMatchObject({ origin: 'a', deleted: false });
    extensions.update('201', { displayName: 'y' });
    const v2 = versions.version('extension', '201')!;
    expect(v2.t).toBeGreaterThan(v1.t);
    extensions.remove('201');
    expect(versions.version('extension', '201')).toMatchObject({ origin: 'a', deleted: true });
    expect(versions.changesAfter(0, 10).rows).toEqual([{ kind: 'extension', key: '201', t: expect.any(Number), origin: 'a', deleted: true }]);
  });

  test('a peer row applies only when newer, keeps its version, and an older one changes nothing', () => {
    const a = fresh('a');
    const b = fresh('b');
    a.extensions.add({ number: '202', ...base });
    const sent = a.versions.changesAfter(0, 10).rows;
    expect(b.versions.apply(sent)).toMatchObject({ applied: 1, older: 0 });
    expect(b.extensions.get('202')?.ha1Md5).toBe(base.ha1Md5);
    expect(b.versions.version('extension', '202')).toMatchObject({ origin: 'a', t: sent[0]!.t });
    expect(b.versions.apply(sent)).toMatchObject({ applied: 0, older: 1 });
    b.extensions.remove('202');
    const tomb = b.versions.changesAfter(0, 10).rows.find((r) => r.key === '202')!;
    expect(tomb.deleted).toBe(true);
    // A's older row comes back (a member back from a split): the deletion stays.
    expect(b.versions.apply(sent)).toMatchObject({ applied: 0, older: 1 });
    expect(b.extensions.get('202')).toBeUndefined();
    expect(a.versions.apply([tomb])).toMatchObject({ applied: 1 });
    expect(a.extensions.get('202')).toBeUndefined();
    const old: ReplicatedRow = { ...tomb, t: 1 };
    expect(a.versions.purgeTombstones(tomb.t + 1)).toBe(1);
    expect(a.versions.version('extension', old.key)).toBeUndefined();
  });
});
