/**
 * The location view as the DNS function sees it. The SIP registrar implements this interface
 * (DESIGN.md: the in-memory location view of each worker); the DNS function only reads it and
 * listens for changes to publish `<extension>.<zone>` and reverse names.
 */

/** One reachable contact of a registered extension. */
export interface RegisteredContact {
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
}

/** Read-only access to current registrations, with change notification. */
export interface RegisteredContacts {
  /** Current (unexpired) contacts of an extension number, best first. */
  contactsOf(extension: string): readonly RegisteredContact[];
  /** Every extension number that has at least one contact. */
  registeredExtensions(): Iterable<string>;
  /** Called with the extension number whenever its contacts change (add, refresh, remove, expiry). Returns an unsubscribe function. */
  onChange(listener: (extension: string) => void): () => void;
}

/** A view with nobody registered: for start-up before the SIP side is wired, and for tools. */
export const NO_REGISTRATIONS: RegisteredContacts = {
  contactsOf: () => [],
  registeredExtensions: () => [],
  onChange: () => () => {},
};
