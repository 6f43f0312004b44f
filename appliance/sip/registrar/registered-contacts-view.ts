import type { RegisteredContact, RegisteredContacts } from '../../dns/registered-contacts.ts';
import { sourceAddress, type LocationView } from './location-view.ts';

/**
 * The location view seen by the DNS function: extension numbers and the addresses their
 * phones registered from (the source of the REGISTER, so NAT and TCP flows are honoured).
 */
export function registeredContactsOf(location: LocationView, domain: string): RegisteredContacts {
  const suffix = `@${domain}`;
  const extensionOf = (aor: string) => (aor.startsWith('sip:') && aor.endsWith(suffix) ? aor.slice(4, -suffix.length) : undefined);
  return {
    contactsOf(extension: string): RegisteredContact[] {
      const out: RegisteredContact[] = [];
      for (const b of location.bindings(`sip:${extension}${suffix}`)) {
        const a = sourceAddress(b.source);
        if (a && !out.some((o) => o.address === a.address && o.port === a.port && o.transport === a.transport)) out.push(a);
      }
      return out;
    },
    *registeredExtensions() {
      for (const aor of location.aors()) {
        const ext = extensionOf(aor);
        if (ext !== undefined) yield ext;
      }
    },
    onChange(listener) {
      return location.onChange((aor) => {
        const ext = extensionOf(aor);
        if (ext !== undefined) listener(ext);
      });
    },
  };
}
