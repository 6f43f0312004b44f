import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROL_TOKEN_FILE, writeControlToken } from '../../../appliance/control/command-channel.ts';
import { openStore, STORE_FILE } from '../../../system/store/index.ts';

/**
 * Secrets at rest (issue 10 finding 10): another local user must not read the store (HA1
 * hashes, nonce secret, admin hash, peer secrets) or the control token. Checked with a
 * permissive umask, so the modes come from the code and not from the test's environment.
 */
const root = mkdtempSync(join(tmpdir(), 'file-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const savedUmask = process.umask();
afterEach(() => void process.umask(savedUmask));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('files at rest', () => {
  test('a new data dir is 0700; the store, its -wal and -shm are 0600, even with umask 000', () => {
    process.umask(0);
    const dir = join(root, 'fresh', 'data');
    const store = openStore(dir);
    try {
      store.settings.set('sip.nonce_secret', 'x'.repeat(64));
      store.events.append('control.start', 'something in the WAL');
      const db = join(dir, STORE_FILE);
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(existsSync(`${db}-shm`)).toBe(true);
      expect([mode(dir), mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual([0o700, 0o600, 0o600, 0o600]);
    } finally {
      store.close();
    }
  });

  test('an existing looser data dir and store from an older version are tightened on open', () => {
    process.umask(0);
    const dir = join(root, 'old');
    mkdirSync(dir, { mode: 0o755 });
    const first = openStore(dir);
    first.events.append('control.start', 'row');
    first.close();
    const db = join(dir, STORE_FILE);
    chmodSync(dir, 0o755);
    chmodSync(db, 0o644);
    writeFileSync(`${db}-wal`, '', { mode: 0o644 });
    chmodSync(`${db}-wal`, 0o644);
    const store = openStore(dir);
    try {
      store.events.append('control.start', 'another row');
      expect([mode(dir), mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual([0o700, 0o600, 0o600, 0o600]);
    } finally {
      store.close();
    }
  });

  test('the control token file is 0600 and replaced, never rewritten in a looser file', () => {
    process.umask(0);
    const dir = join(root, 'token');
    mkdirSync(dir, { mode: 0o700 });
    const path = join(dir, CONTROL_TOKEN_FILE);
    writeFileSync(path, 'old-token', { mode: 0o644 });
    chmodSync(path, 0o644);
    const token = writeControlToken(dir);
    expect(mode(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(token);
    expect(token).toMatch(/^[0-9a-f]{48}$/);
  });

  test('a data dir path that is a file is a clear error', () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => openStore(file)).toThrow(/cannot create data directory .*not-a-dir/);
  });
});
