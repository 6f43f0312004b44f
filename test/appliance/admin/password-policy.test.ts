import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPasswordPolicy, type PasswordPurpose } from '../../../appliance/admin/password-policy.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { ApplianceError } from '../../../system/errors/index.ts';
import { openStore } from '../../../system/store/index.ts';
import { generatePassword } from '../../../web-ui/ui.ts';

/** The one password policy (issue 10 finding 12): what it refuses, why it says so, what it lets through. */
function verdict(pw: string, purpose: PasswordPurpose = 'extension', context: string[] = []): string {
  try {
    checkPasswordPolicy(pw, purpose, context);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(ApplianceError);
    return `${(err as ApplianceError).code}: ${(err as Error).message}`;
  }
}

describe('password policy', () => {
  const refused: [string, PasswordPurpose, string[], RegExp][] = [
    ['Password201', 'extension', [], /weak-password: password is too weak: .*commonly used/],
    ['Aaaaaaaaaa1', 'extension', [], /weak-password: password is too weak/],
    ['qwertyuiop12', 'extension', [], /weak-password: password is too weak/],
    ['P@ssw0rd1234', 'extension', [], /weak-password: .*substitutions/],
    ['Summer2024!', 'extension', [], /weak-password/],
    ['1234567890', 'extension', [], /weak-password/],
    ['Ab1!', 'extension', [], /weak-password: password is too weak: use at least 10 characters/],
    ['Reception201', 'extension', ['201', 'Reception', 'office.lan'], /weak-password/],
    ['office.lan.201', 'extension', ['201', '', 'office.lan'], /weak-password/],
    ['Tr0ub4dor&3', 'admin', [], /weak-password: admin password is too weak: use at least 12 characters/],
    ['Password2024!', 'admin', [], /weak-password: admin password is too weak/],
    ['backup-backup', 'backup', [], /weak-password: backup passphrase is too weak/],
    ['x'.repeat(129), 'extension', [], /invalid-input: password is too long/],
    ['Green\u0000Phone-4242', 'extension', [], /invalid-input: password must not contain control characters/],
  ];
  for (const [pw, purpose, context, why] of refused) {
    test(`refuses ${JSON.stringify(pw.length > 20 ? `${pw.slice(0, 12)}…` : pw)} as ${purpose}`, () => {
      expect(verdict(pw, purpose, context)).toMatch(why);
    });
  }

  test('accepts passphrases and random passwords a phone can take', () => {
    for (const pw of ['Blue-Phone-4242', 'Str0ng-Secret-77', 'correct horse battery staple', 'Xk3-mR9.q2Lw_7Bz']) {
      expect(verdict(pw, 'extension', ['201', 'office.lan'])).toBe('ok');
    }
    expect(verdict('Browser-Admin-Pass-1', 'admin')).toBe('ok');
  });

  test('every password the extension page generates is accepted (200 samples)', () => {
    const refusedSamples = Array.from({ length: 200 }, () => generatePassword()).filter((pw) => verdict(pw, 'extension', ['201', 'office.lan']) !== 'ok');
    expect(refusedSamples).toEqual([]);
  });

  test('ExtensionService (the CLI and the API) refuses them with code weak-password and stores nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const store = openStore(dir);
    try {
      const service = new ExtensionService(store, 'office.lan');
      for (const pw of ['Password201', 'Aaaaaaaaaa1', 'qwertyuiop12']) {
        expect(() => service.add({ number: '201', password: pw })).toThrow(expect.objectContaining({ code: 'weak-password' }));
      }
      service.add({ number: '201', password: 'Blue-Phone-4242' });
      expect(() => service.update({ number: '201', password: 'Password201' })).toThrow(expect.objectContaining({ code: 'weak-password' }));
      expect(store.extensions.list().map((e) => e.number)).toEqual(['201']);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // zxcvbn's matching grows quickly with length, so only the first 64 characters are estimated
  // (its cost is not timed here: timing assertions belong in bench/, not in unit tests).
  test('only a prefix is estimated: what follows 64 characters neither helps nor hurts', () => {
    expect(verdict(`${generatePassword(64)}${'a'.repeat(60)}`)).toBe('ok');
    expect(verdict(`${'password'.repeat(8)}${generatePassword(60)}`)).toMatch(/^weak-password: /);
  });
});
