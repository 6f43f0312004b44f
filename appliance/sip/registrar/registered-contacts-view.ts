import type { RegisteredContact, RegisteredContacts } from '../../dns/registered-contacts.ts';
import { parseSourceKey } from '../../../system/store/source-key.ts';
import { parseSipUri } from '../message/uri.ts';
import type { LocationView } from './location-view.ts';

/**
 * The extension of an AOR `sip:<number>@<domain>` (or `sips:`), or undefined for any other AOR:
 * the one place an extension is read off an AOR (the DNS function's view, the admin API, `dns
 * list`). RFC 3261 §19.1.4: the scheme and the host compare case-insensitively, the user part
 * case-sensitively, so `SIP:201@Office.LAN` is 201's and `sip:Ab@office.lan` names `Ab`, not `ab`.
 */
export function extensionOfAor(aor: string, domain: string): string | undefined {
  // The SIP grammar's one parser (message/uri.ts). An AOR of ours is only user@domain: one
  // with a password, a port, parameters or headers names another URI (§19.1.4).
  const uri = parseSipUri(aor);
  if (!uri?.user || uri.password !== undefined || uri.port !== undefined || hasAny(uri.params) || hasAny(uri.headers)) return undefined;
  return uri.host.toLowerCase() === domain.toLowerCase() ? uri.user : undefined;
}

const hasAny = (o: object) => Object.keys(o).length > 0;

/**
 * The location view seen by the DNS function: extension numbers and the addresses their
 * phones registered from (the source of the REGISTER, so NAT and TCP flows are honoured).
 * Defence in depth (issue 10 finding 12): a binding whose extension does not exist (removed,
 * and its removal not yet everywhere) publishes no name and gives the proxy no target, so a
 * removed extension answers like an unknown number whatever is left in memory.
 */
export function registeredContactsOf(location: LocationView, domain: string, extensionExists: (number: string) => boolean): RegisteredContacts {
  const extensionOf = (aor: string) => extensionOfAor(aor, domain);
  const suffix = `@${domain}`;
  return {
    contactsOf(extension: string): RegisteredContact[] {
      const out: RegisteredContact[] = [];
      const bindings = location.bindings(`sip:${extension}${suffix}`);
      if (bindings.length === 0 || !extensionExists(extension)) return out;
      for (const b of bindings) {
        const a = parseSourceKey(b.source);
        if (a && !out.some((o) => o.address === a.address && o.port === a.port && o.transport === a.transport)) out.push(a);
      }
      return out;
    },
    *registeredExtensions() {
      for (const aor of location.aors()) {
        const ext = extensionOf(aor);
        if (ext !== undefined && extensionExists(ext)) yield ext;
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
