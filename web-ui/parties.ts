import type { Call, Extension, Registration, RingingCall } from './types.ts';

/**
 * Who is who, in the words an admin reads: plain numbers instead of SIP URIs, the extension's
 * name next to its number, and each extension's phone state from the live lists.
 */

/** The number (user part) of a SIP URI, or the URI without its scheme when it has none: `sip:201@office.lan;x=y` → `201`. */
export function plainNumber(uri: string): string {
  const bare = uri.replace(/^<|>$/g, '').replace(/^sips?:/i, '').replace(/^tel:/i, '');
  const at = bare.indexOf('@');
  const user = at >= 0 ? bare.slice(0, at) : bare.replace(/[;?].*$/, '');
  return user.replace(/;.*$/, '') || bare;
}

/** Extension number → display name (only those that have one). */
export type NameBook = ReadonlyMap<string, string>;

export function nameBook(exts: readonly Pick<Extension, 'number' | 'displayName'>[]): NameBook {
  return new Map(exts.filter((e) => e.displayName).map((e) => [e.number, e.displayName]));
}

/** `Reception (201)` for a named extension, `201` otherwise, for a URI or a number. */
export function partyLabel(uri: string, names: NameBook): string {
  const n = plainNumber(uri);
  const name = names.get(n);
  return name ? `${name} (${n})` : n;
}

/** What an extension's phones are doing now. */
export type PhoneState = 'offline' | 'online' | 'ringing' | 'in-call';

export interface PhoneStatus {
  readonly state: PhoneState;
  /** Its registered devices (address, user agent, transport). */
  readonly devices: readonly Registration[];
  /** The calls it is in, with the other party. */
  readonly calls: readonly { readonly call: Call; readonly other: string }[];
  /** Calls ringing its phones now, by caller. */
  readonly ringing: readonly RingingCall[];
}

/** The status of one extension from the live registrations, active calls and ringing calls. */
export function phoneStatus(number: string, registrations: readonly Registration[], active: readonly Call[], ringingNow: readonly RingingCall[] = []): PhoneStatus {
  const devices = registrations.filter((r) => r.extension === number);
  const calls = active.flatMap((c) => {
    const from = plainNumber(c.from);
    const to = plainNumber(c.to);
    if (from === number) return [{ call: c, other: c.to }];
    if (to === number) return [{ call: c, other: c.from }];
    return [];
  });
  const ringing = ringingNow.filter((r) => r.callees.includes(number));
  const state: PhoneState = calls.length > 0 ? 'in-call' : ringing.length > 0 ? 'ringing' : devices.length > 0 ? 'online' : 'offline';
  return { state, devices, calls, ringing };
}

/** The words for a state (also the badge's class). */
export const STATE_TEXT: Readonly<Record<PhoneState, string>> = { offline: 'offline', online: 'online', ringing: 'ringing', 'in-call': 'in call' };
