import { checkPasswordPolicy } from '../../admin/password-policy.ts';
import type { Store } from '../../../system/store/index.ts';

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

/**
 * Admin passwords: the one password policy (admin/password-policy.ts: at least 12 characters and
 * a strength estimate that refuses common and patterned passwords).
 */
export function checkAdminPassword(pw: string): void {
  checkPasswordPolicy(pw, 'admin');
}
