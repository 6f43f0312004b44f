import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSecret, openStore, sealSecret, secretsKey, SECRETS_KEY_FILE } from '../../../system/store/index.ts';

/** Secrets sealed at rest (trunk passwords): AES-256-GCM under the data directory's key file. */
const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sealed-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('sealed secrets', () => {
  test('round trip through the store; the database holds only the sealed form; the key file is 0600 and reused', () => {
    const dir = dataDir();
    const store = openStore(dir);
    expect(store.secrets.put('trunk:p', 'Trunk-Pass-1')).toBe(true);
    expect(store.secrets.put('trunk:p', 'Trunk-Pass-1')).toBe(false);
    expect(store.secrets.get('trunk:p')).toBe('Trunk-Pass-1');
    const sealed = store.db.query<{ sealed: string }, []>('SELECT sealed FROM sealed_secrets').get()!.sealed;
    expect(sealed).not.toContain('Trunk-Pass-1');
    store.close();
    expect(statSync(join(dir, SECRETS_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = openStore(dir);
    expect(again.secrets.get('trunk:p')).toBe('Trunk-Pass-1');
    again.close();
  });

  test('a looser key file is tightened to 0600', () => {
    const dir = dataDir();
    secretsKey(dir);
    chmodSync(join(dir, SECRETS_KEY_FILE), 0o644);
    secretsKey(dir);
    expect(statSync(join(dir, SECRETS_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  test('bound to its name, its key, and untampered: otherwise an error, never garbage', () => {
    const key = secretsKey(dataDir());
    const other = secretsKey(dataDir());
    const s = sealSecret(key, 'trunk:a', 'pw-a');
    expect(openSecret(key, 'trunk:a', s)).toBe('pw-a');
    expect(() => openSecret(key, 'trunk:b', s)).toThrow(/does not open/);
    expect(() => openSecret(other, 'trunk:a', s)).toThrow(/does not open/);
    const bytes = Buffer.from(s.slice(3), 'base64');
    bytes[14] ^= 1;
    expect(() => openSecret(key, 'trunk:a', `v1:${bytes.toString('base64')}`)).toThrow(/does not open/);
    expect(() => openSecret(key, 'trunk:a', 'plain')).toThrow(/not in a known format/);
    expect(sealSecret(key, 'trunk:a', 'pw-a')).not.toBe(s); // a fresh nonce each time
  });

  test('a damaged key file is a clear error', () => {
    const dir = dataDir();
    writeFileSync(join(dir, SECRETS_KEY_FILE), 'short', { mode: 0o600 });
    expect(() => secretsKey(dir)).toThrow(/not a 32-byte key/);
    expect(readFileSync(join(dir, SECRETS_KEY_FILE), 'utf8')).toBe('short');
  });
});
