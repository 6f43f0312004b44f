import { ValidationError } from '../../system/errors/index.ts';
import type { ExtensionRecord, Store } from '../../system/store/index.ts';
import { computeHa1 } from '../sip/auth/digest.ts';

/** Input for a new or changed extension, as an admin gives it (CLI or API). */
export interface ExtensionInput {
  readonly number: string;
  readonly password?: string;
  readonly displayName?: string;
  readonly e164?: string | null;
}

const NUMBER = /^[0-9]{2,10}$/;
const E164 = /^\+[1-9][0-9]{5,14}$/;

/** Rejects weak passwords: phones keep them, so length and variety matter more than symbols. */
export function checkPassword(pw: string): void {
  if (pw.length < 10) throw new ValidationError('password is too weak: use at least 10 characters', 'password', 'weak-password');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (classes < 3) {
    throw new ValidationError('password is too weak: mix at least three of lower case, upper case, digits and symbols', 'password', 'weak-password');
  }
  if (/^(.)\1+$/.test(pw)) throw new ValidationError('password is too weak: one repeated character', 'password', 'weak-password');
}

/** Validates an extension number (2 to 10 digits, the office dial plan). */
export function checkNumber(number: string): void {
  if (!NUMBER.test(number)) throw new ValidationError(`invalid extension number "${number}": use 2 to 10 digits`, 'number');
}

/** Validates an E.164 number in +CC... form (ITU-T E.164, RFC 6116 §2). */
export function checkE164(e164: string): void {
  if (!E164.test(e164)) throw new ValidationError(`invalid E.164 number "${e164}": use + and 6 to 15 digits`, 'e164');
}

/** Extension management shared by the CLI and the web API; the realm is the SIP domain. */
export class ExtensionService {
  constructor(private readonly store: Store, private readonly realm: string) {}

  add(input: ExtensionInput): ExtensionRecord {
    checkNumber(input.number);
    if (input.password === undefined) throw new ValidationError('a password is required (--password)', 'password');
    checkPassword(input.password);
    if (input.e164) checkE164(input.e164);
    const rec = this.store.extensions.add({
      number: input.number,
      displayName: cleanName(input.displayName ?? ''),
      realm: this.realm,
      ha1Md5: computeHa1('MD5', input.number, this.realm, input.password),
      ha1Sha256: computeHa1('SHA-256', input.number, this.realm, input.password),
      e164: input.e164 || null,
    });
    this.store.events.append('admin.extension.add', `extension ${rec.number} added`, { number: rec.number });
    return rec;
  }

  update(input: ExtensionInput): ExtensionRecord {
    checkNumber(input.number);
    const patch: Parameters<Store['extensions']['update']>[1] = {};
    if (input.displayName !== undefined) (patch as { displayName?: string }).displayName = cleanName(input.displayName);
    if (input.e164 !== undefined) {
      if (input.e164) checkE164(input.e164);
      (patch as { e164?: string | null }).e164 = input.e164 || null;
    }
    if (input.password !== undefined) {
      checkPassword(input.password);
      Object.assign(patch, {
        realm: this.realm,
        ha1Md5: computeHa1('MD5', input.number, this.realm, input.password),
        ha1Sha256: computeHa1('SHA-256', input.number, this.realm, input.password),
      });
    }
    const rec = this.store.extensions.update(input.number, patch);
    this.store.events.append('admin.extension.update', `extension ${rec.number} changed`, { number: rec.number });
    return rec;
  }

  remove(number: string): void {
    checkNumber(number);
    this.store.extensions.remove(number);
    this.store.events.append('admin.extension.remove', `extension ${number} removed`, { number });
  }

  list(): ExtensionRecord[] {
    return this.store.extensions.list();
  }
}

function cleanName(name: string): string {
  // Display names end up in SIP headers: no control characters or quotes that would break them.
  const clean = name.replace(/[\u0000-\u001f\u007f"\\]/g, '').trim();
  if (clean.length > 64) throw new ValidationError('display name is longer than 64 characters', 'displayName');
  return clean;
}
