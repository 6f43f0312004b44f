import { extensionChanges } from './extension-changes.ts';
import { ValidationError } from '../../system/errors/index.ts';
import { DIGEST_POLICIES, type DigestPolicy, type ExtensionRecord, type Store } from '../../system/store/index.ts';
import { computeHa1 } from '../sip/auth/digest.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { checkPermissions, type PermissionInput } from './outside-call-permissions.ts';
import { referencesTo } from './call-target-references.ts';

/** Input for a new or changed extension, as an admin gives it (CLI or API). */
export interface ExtensionInput extends PermissionInput {
  readonly number: string;
  readonly password?: string;
  readonly displayName?: string;
  readonly e164?: string | null;
  /** Digest algorithms its phones are challenged with (appliance/sip/auth/digest-offer.ts). */
  readonly digest?: string;
}

const NUMBER = /^[0-9]{2,10}$/;
const E164 = /^\+[1-9][0-9]{5,14}$/;

/** Rejects weak extension passwords (password-policy.ts); the number, name and domain count as guessable. */
export function checkPassword(pw: string, context: readonly string[] = []): void {
  checkPasswordPolicy(pw, 'extension', context);
}

/** Validates an extension number (2 to 10 digits, the office dial plan). */
export function checkNumber(number: string): void {
  if (!NUMBER.test(number)) throw new ValidationError(`invalid extension number "${number}": use 2 to 10 digits`, 'number');
}

/**
 * Refuses an emergency number as an extension number: a dialled 911 must always reach the
 * emergency trunk, never a phone in the office (issue 14).
 */
export function checkNotEmergency(number: string, emergencyNumbers: readonly string[]): void {
  if (emergencyNumbers.includes(number)) {
    throw new ValidationError(`extension number "${number}" is an emergency number ([emergency] numbers): emergency calls always go out through the emergency trunk`, 'number');
  }
}

/** Validates an E.164 number in +CC... form (ITU-T E.164, RFC 6116 §2). */
export function checkE164(e164: string): void {
  if (!E164.test(e164)) throw new ValidationError(`invalid E.164 number "${e164}": use + and 6 to 15 digits`, 'e164');
}

/** Validates a digest policy name (`default`, `md5`, `both`, `sha-256`). */
export function checkDigestPolicy(policy: string): DigestPolicy {
  if (!(DIGEST_POLICIES as readonly string[]).includes(policy)) {
    throw new ValidationError(`invalid digest setting "${policy.slice(0, 20)}": use one of ${DIGEST_POLICIES.join(', ')}`, 'digest');
  }
  return policy as DigestPolicy;
}

/** Extension management shared by the CLI and the web API; the realm is the SIP domain. */
export class ExtensionService {
  /** `emergencyNumbers`: `[emergency] numbers`, which can never be extensions (they always go out, issue 14). */
  constructor(private readonly store: Store, private readonly realm: string, private readonly emergencyNumbers: readonly string[] = []) {}

  add(input: ExtensionInput): ExtensionRecord {
    checkNumber(input.number);
    checkNotEmergency(input.number, this.emergencyNumbers);
    if (this.store.ringGroups.get(input.number)) throw new ValidationError(`extension number "${input.number}" is a ring group`, 'number');
    if (input.password === undefined) throw new ValidationError('a password is required (--password - reads it from stdin)', 'password');
    checkPassword(input.password, [input.number, input.displayName ?? '', this.realm]);
    if (input.e164) checkE164(input.e164);
    const rec = this.store.extensions.add({
      number: input.number,
      displayName: cleanName(input.displayName ?? ''),
      realm: this.realm,
      ha1Md5: computeHa1('MD5', input.number, this.realm, input.password),
      ha1Sha256: computeHa1('SHA-256', input.number, this.realm, input.password),
      e164: input.e164 || null,
      digest: input.digest === undefined ? 'default' : checkDigestPolicy(input.digest),
      ...checkPermissions(input),
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
    if (input.digest !== undefined) (patch as { digest?: DigestPolicy }).digest = checkDigestPolicy(input.digest);
    Object.assign(patch, checkPermissions(input));
    if (input.password !== undefined) {
      checkPassword(input.password, [input.number, input.displayName ?? this.store.extensions.get(input.number)?.displayName ?? '', this.realm]);
      Object.assign(patch, {
        realm: this.realm,
        ha1Md5: computeHa1('MD5', input.number, this.realm, input.password),
        ha1Sha256: computeHa1('SHA-256', input.number, this.realm, input.password),
      });
    }
    const before = this.store.extensions.get(input.number);
    const rec = this.store.extensions.update(input.number, patch);
    const changed = before ? extensionChanges(before, rec) : { words: [], fields: [] };
    this.store.events.append('admin.extension.update',
      `extension ${rec.number} changed: ${changed.words.length ? changed.words.join(', ') : 'nothing (same values saved)'}`, { number: rec.number, changed: changed.fields });
    return rec;
  }

  remove(number: string): void {
    checkNumber(number);
    // A group member or forward target that vanished would silently drop calls: refused, naming who uses it.
    const users = referencesTo(this.store, number);
    if (users.length > 0) throw new ValidationError(`extension ${number} is still used by ${users.join(', ')}`, 'number', 'conflict');
    this.store.extensions.remove(number);
    this.store.callFeatures.remove(number);
    // Its busy-lamp subscriptions, held and watched (the notifier drops them at their next NOTIFY or expiry).
    this.store.subscriptions.removeExtension(number);
    this.store.events.append('admin.extension.remove', `extension ${number} removed`, { number });
  }

  list(): ExtensionRecord[] {
    return this.store.extensions.list();
  }

  /** The phone models of an extension that answered a SHA-256 challenge (and get SHA-256 only). */
  learntSha256(number: string): string[] {
    return this.store.extensions.learntSha256(number);
  }
}

/** A display name fit for SIP headers; throws when it is too long. */
export function cleanName(name: string): string {
  // Display names end up in SIP headers: no control characters or quotes that would break them.
  const clean = name.replace(/[\u0000-\u001f\u007f"\\]/g, '').trim();
  if (clean.length > 64) throw new ValidationError('display name is longer than 64 characters', 'displayName');
  return clean;
}
