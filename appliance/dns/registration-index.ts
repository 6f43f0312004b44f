import { isIP } from 'node:net';
import type { RegisteredContacts } from './registered-contacts.ts';
import { reverseName } from './zones.ts';

/**
 * Names published by registrations: `<extension>.<zone>` → the phones' addresses (read live
 * from the location view) and the reverse index address → extensions, kept current through
 * `onChange`. `changed` gets the owner names whose answers changed.
 */
export class RegistrationIndex {
  private readonly byReverse = new Map<string, Set<string>>();
  private readonly reverseOf = new Map<string, string[]>();
  private readonly unsubscribe: () => void;

  constructor(private readonly contacts: RegisteredContacts, private readonly zone: string, changed: (names: readonly string[]) => void) {
    for (const ext of contacts.registeredExtensions()) this.refresh(ext);
    this.unsubscribe = contacts.onChange((ext) => {
      const before = this.reverseOf.get(ext) ?? [];
      this.refresh(ext);
      const after = this.reverseOf.get(ext) ?? [];
      changed([`${ext.toLowerCase()}.${this.zone}`, ...new Set([...before, ...after])]);
    });
  }

  /** The distinct IPv4 and IPv6 addresses of an extension's contacts, best first. */
  addresses(extension: string): { v4: string[]; v6: string[] } {
    const v4: string[] = [];
    const v6: string[] = [];
    for (const c of this.contacts.contactsOf(extension)) {
      const family = isIP(c.address);
      const list = family === 4 ? v4 : family === 6 ? v6 : undefined;
      if (list && !list.includes(c.address)) list.push(c.address);
    }
    return { v4, v6 };
  }

  /**
   * Extensions registered from the address whose reverse name is `name`; only those that still
   * have contacts (a removed extension has none, even before the index hears of it).
   */
  extensionsAt(name: string): readonly string[] {
    const set = this.byReverse.get(name);
    return set ? [...set].filter((ext) => this.contacts.contactsOf(ext).length > 0).sort() : [];
  }

  stop(): void {
    this.unsubscribe();
  }

  private refresh(ext: string): void {
    for (const rev of this.reverseOf.get(ext) ?? []) {
      const set = this.byReverse.get(rev);
      set?.delete(ext);
      if (set?.size === 0) this.byReverse.delete(rev);
    }
    const { v4, v6 } = this.addresses(ext);
    const revs = [...v4, ...v6].map(reverseName).filter((r): r is string => r !== undefined);
    if (revs.length === 0) this.reverseOf.delete(ext);
    else this.reverseOf.set(ext, revs);
    for (const rev of revs) {
      const set = this.byReverse.get(rev) ?? new Set();
      set.add(ext);
      this.byReverse.set(rev, set);
    }
  }
}
