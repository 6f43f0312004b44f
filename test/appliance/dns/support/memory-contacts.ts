import type { RegisteredContact, RegisteredContacts } from '../../../../appliance/dns/registered-contacts.ts';

/** In-memory test double of the location view the SIP registrar implements. */
export class MemoryContacts implements RegisteredContacts {
  private readonly byExt = new Map<string, RegisteredContact[]>();
  private readonly listeners = new Set<(ext: string) => void>();

  contactsOf(extension: string): readonly RegisteredContact[] {
    return this.byExt.get(extension) ?? [];
  }

  registeredExtensions(): Iterable<string> {
    return this.byExt.keys();
  }

  onChange(listener: (extension: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers (or refreshes) a contact. */
  register(extension: string, address: string, port = 5060, transport: 'udp' | 'tcp' = 'udp'): void {
    const list = (this.byExt.get(extension) ?? []).filter((c) => !(c.address === address && c.port === port));
    this.byExt.set(extension, [...list, { address, port, transport }]);
    this.emit(extension);
  }

  /** Removes one contact or, without an address, every contact of the extension (expiry). */
  unregister(extension: string, address?: string): void {
    const list = (this.byExt.get(extension) ?? []).filter((c) => address !== undefined && c.address !== address);
    if (list.length === 0) this.byExt.delete(extension);
    else this.byExt.set(extension, list);
    this.emit(extension);
  }

  private emit(ext: string): void {
    for (const l of this.listeners) l(ext);
  }
}
