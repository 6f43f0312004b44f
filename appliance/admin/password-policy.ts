import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { ValidationError } from '../../system/errors/index.ts';

/**
 * The one password policy: extension passwords (CLI, API), the admin password (setup, change)
 * and backup passphrases. Length alone is not enough (`Password201`, `Aaaaaaaaaa1` and
 * `qwertyuiop12` pass any "three character classes" rule), so the strength is estimated with
 * zxcvbn-ts (`@zxcvbn-ts/core` + the common and English dictionaries): it models how crackers
 * guess (common passwords, dictionary words with l33t and capitals, keyboard walks, repeats,
 * sequences, dates) and scores 0-4 by the log10 of guesses needed. Score 3 means at least 10^8
 * guesses, beyond an online attacker held back by the SIP bans and the login lockout; backup
 * passphrases need 4 (offline attack).
 *
 * The estimator and its dictionaries are loaded on first use (~130 ms): processes that never
 * check a password (the connection control sections) never pay for it. Imported statically,
 * the dictionary modules alone put ~430,000 strings (18 MB of heap, ~28 MB of RSS) into every
 * worker, which each full garbage collection then marks (measured with `bun:jsc` heapStats
 * after importing connection-control.ts: 425,000 strings, 21 MB heap; lazily: 5,600, 3.5 MB).
 */

/** What is being set, which decides the minimum length and the wording of the error. */
export type PasswordPurpose = 'extension' | 'admin' | 'backup';

interface PurposeRule {
  readonly what: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** Lowest zxcvbn score (0-4) accepted. */
  readonly minScore: number;
}

const RULES: Readonly<Record<PasswordPurpose, PurposeRule>> = {
  // Phones keep their password: length and unpredictability matter, not symbols.
  extension: { what: 'password', minLength: 10, maxLength: 128, minScore: 3 },
  admin: { what: 'admin password', minLength: 12, maxLength: 256, minScore: 3 },
  // A backup file can be attacked offline, without bans or lockout: the passphrase is the
  // whole of its protection, so it needs score 4 (at least 10^10 guesses, each a 128 MiB scrypt).
  backup: { what: 'backup passphrase', minLength: 12, maxLength: 1024, minScore: 4 },
};
/** Longest prefix estimated: zxcvbn's matching grows quickly with length, and 64 characters that pass are plenty. */
const ESTIMATE_CHARS = 64;

let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  if (estimator) return estimator;
  // Synchronous load on first use (Bun's require reads ES modules too).
  const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  const english = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
  estimator = new Factory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

/**
 * Throws `ValidationError` (code `weak-password`, field `password`) unless `password` is long
 * enough and estimated strong enough; the message says why and how to do better.
 * `context` are words an attacker would try first (extension number, display name, domain).
 */
export function checkPasswordPolicy(password: string, purpose: PasswordPurpose, context: readonly string[] = []): void {
  const rule = RULES[purpose];
  const weak = (why: string) => new ValidationError(`${rule.what} is too weak: ${why}`, 'password', 'weak-password');
  if (password.length > rule.maxLength) throw new ValidationError(`${rule.what} is too long (${rule.maxLength} characters at most)`, 'password');
  if (password.length < rule.minLength) throw weak(`use at least ${rule.minLength} characters`);
  if (/[\u0000-\u001f\u007f]/.test(password)) throw new ValidationError(`${rule.what} must not contain control characters`, 'password');
  const inputs = context.filter((w) => w.length > 0).flatMap((w) => [w, ...w.split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 3)]);
  const result = zxcvbn().check(password.slice(0, ESTIMATE_CHARS), inputs);
  if (result.score < rule.minScore) {
    const hint = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
    throw weak(`${hint || 'it is too easy to guess.'} Use a longer, less predictable one (the generator makes one).`.trim());
  }
}
