import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBackupPassphrase } from '../../../appliance/admin/backup-passphrase.ts';
import { startControlSection } from '../../../appliance/control/control-section.ts';
import { parseConfig } from '../../../system/config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'backup-pass-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GOOD = 'harbour violet sleet 9031 kiln';

/** A config whose [backups] passphrase_file holds `text` with `mode`. */
function configWith(name: string, text: string | undefined, mode = 0o600) {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text, { mode });
  return parseConfig(`data_dir = "${join(dir, 'data')}"\n[sip]\nlisten = "127.0.211.3"\nport = 0\n[web]\nlisten = "127.0.211.3"\nport = 0\n[backups]\nschedule = "0 3 * * *"\npassphrase_file = "${path}"\n`, 'test');
}

describe('readBackupPassphrase', () => {
  test('the first line of the file', () => {
    expect(readBackupPassphrase(configWith('good', `${GOOD}\nanything after\n`))).toBe(GOOD);
  });

  test.each([
    ['readable by every user', 'world', GOOD, 0o644, 'readable by every user'],
    ['missing', 'missing', undefined, 0o600, 'cannot read'],
    ['empty', 'empty', '\n', 0o600, 'is empty'],
    ['weak (the policy of a manual encrypted backup)', 'weak', 'Password2024!\n', 0o600, 'too weak'],
  ] as const)('refused when %s, naming the key and never the passphrase', (_why, name, text, mode, message) => {
    let caught: Error | undefined;
    try {
      readBackupPassphrase(configWith(name, text, mode));
    } catch (err) {
      caught = err as Error;
    }
    expect(caught?.message).toContain('backups.passphrase_file');
    expect(caught?.message).toContain(message);
    if (text?.trim()) expect(caught?.message).not.toContain(text.trim());
  });

  test('the control section does not start on a bad one (before any worker or listener)', async () => {
    await expect(startControlSection(configWith('world2', GOOD, 0o644), { configArg: 'embedded', workerOutput: 'ignore' })).rejects.toThrow('backups.passphrase_file');
  });
});
