import type { Store } from '../../../system/store/index.ts';
import { ValidationError } from '../../../system/errors/index.ts';

/** Settings key of the admin password hash (Bun.password, argon2id). */
const PASSWORD_KEY = 'admin.password_hash';

/**
 * The one admin account: its password hash in the settings table. There is no default
 * password: until one is set, the web server offers first-run setup with a one-time token.
 */
export class AdminCredentials {
  constructor(private readonly store: Store) {}

  get isSet(): boolean {
    return this.store.settings.get(PASSWORD_KEY) !== undefined;
  }

  /** Sets the password the first time only; false when another setup won the race. */
  async setInitial(password: string): Promise<boolean> {
    checkAdminPassword(password);
    const hash = await Bun.password.hash(password);
    let won = false;
    this.store.settings.getOrCreate(PASSWORD_KEY, () => {
      won = true;
      return hash;
    });
    return won;
  }

  async change(password: string): Promise<void> {
    checkAdminPassword(password);
    this.store.settings.set(PASSWORD_KEY, await Bun.password.hash(password));
  }

  async verify(password: string): Promise<boolean> {
    const hash = this.store.settings.get(PASSWORD_KEY);
    if (!hash) return false;
    try {
      return await Bun.password.verify(password, hash);
    } catch {
      return false;
    }
  }
}

/** Admin passwords: long enough to resist guessing at the login's locked-out rate. */
export function checkAdminPassword(pw: string): void {
  if (pw.length < 12) throw new ValidationError('the admin password needs at least 12 characters', 'password', 'weak-password');
  if (pw.length > 256) throw new ValidationError('the admin password is too long (256 characters at most)', 'password');
  if (new Set(pw).size < 5) throw new ValidationError('the admin password is too weak: use more different characters', 'password', 'weak-password');
}
