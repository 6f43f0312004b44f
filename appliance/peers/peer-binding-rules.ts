import { isIP } from 'node:net';
import type { BindingChange, BindingRecord, FlowHolder } from '../../system/store/index.ts';
import { wellFormedFlowToken } from '../sip/security/flow-token.ts';
import { parseSipUri, uriScheme } from '../sip/message/uri.ts';
import { extensionOfAor } from '../sip/registrar/registered-contacts-view.ts';
import { parseSourceKey, sourceKey } from '../../system/store/source-key.ts';
import { contactKey } from '../sip/registrar/registrar-rules.ts';

/**
 * What a replicated binding must satisfy before this appliance applies it (issue 10 finding 9).
 * A peer is authenticated (HMAC, peer-auth.ts) but not trusted with our namespace: without
 * these checks it could publish any name in our zone (`wpad.office.lan`) and have INVITEs to it
 * relayed wherever it likes. The same rules as our own registrar (RFC 3261 §10.3): the AOR is
 * `sip:<extension>@<domain>` for an extension that exists here, expiry at most `max_expires`
 * from now (§10.3 step 7: the registrar may shorten it), at most `maxContacts` per AOR.
 */
export interface PeerBindingRules {
  /** Our SIP domain (`[sip] domain`). */
  readonly domain: string;
  /** `[sip] max_expires`, seconds. */
  readonly maxExpiresSeconds: number;
  /** The registrar's contact limit per AOR (start-sip.ts `sipSettings().registrar.maxContacts`). */
  readonly maxContacts: number;
  readonly extensionExists: (number: string) => boolean;
  /** The unexpired bindings held here (read once per batch, for the contact limit). */
  readonly currentBindings: () => readonly BindingRecord[];
  /**
   * The names a binding's flow holder may have (`heldBy.member`, issue 19): ours and our
   * `[[peers]]`'. A holder not among them, or a token that is not one's shape, is dropped
   * (the binding is kept and reached as before). Absent: every holder is dropped.
   */
  readonly members?: ReadonlySet<string>;
}

/** Why a change from a peer was refused (`foreign-aor`: not `sip:<number>@<our domain>`). */
export type PeerRejectReason =
  | 'malformed' | 'foreign-aor' | 'unknown-extension' | 'bad-contact' | 'bad-source' | 'expired' | 'too-many-contacts';

/** The outcome for one batch: what to apply (normalised), and how many were refused, by reason. */
export interface PeerChangesVerdict {
  readonly accepted: BindingChange[];
  readonly rejected: Readonly<Partial<Record<PeerRejectReason, number>>>;
  readonly rejectedCount: number;
  /** Upserts whose expiry was shortened to `max_expires` from now. */
  readonly clamped: number;
}

/** Longest Contact URI, Call-ID and User-Agent we keep from a peer (the registrar's own User-Agent cut is 200). */
const MAX_URI = 1024;
const MAX_CALL_ID = 256;
const MAX_USER_AGENT = 200;
/** Versions are milliseconds (registrar-rules.ts nextVersion): one further than a day ahead is forged. */
const VERSION_AHEAD_MS = 86_400_000;
/** Characters that would break the URI out of a header or Request-URI (CR, LF, space, quotes, angle brackets). */
const UNSAFE_URI = /[\u0000-\u0020\u007f<>"]/;

/**
 * Checks a batch of binding changes from a peer (a pure function of the batch, the rules and
 * `now`). Changes are taken in order; an upsert of a new contact beyond the AOR's limit is
 * refused, a refresh of a contact already held is not. Removals need only a well-formed AOR
 * of our domain (so a removed extension's bindings can still be removed everywhere).
 */
export function checkPeerChanges(changes: unknown, rules: PeerBindingRules, now: number): PeerChangesVerdict {
  const accepted: BindingChange[] = [];
  const rejected: Partial<Record<PeerRejectReason, number>> = {};
  let rejectedCount = 0;
  let clamped = 0;
  const refuse = (reason: PeerRejectReason) => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    rejectedCount++;
  };
  if (!Array.isArray(changes)) {
    refuse('malformed');
    return { accepted, rejected, rejectedCount, clamped };
  }
  let contacts: Map<string, Set<string>> | undefined;
  const contactsOf = (aor: string): Set<string> => {
    contacts ??= groupByAor(rules.currentBindings(), now);
    let set = contacts.get(aor);
    if (!set) contacts.set(aor, (set = new Set()));
    return set;
  };
  const maxExpiresAt = now + rules.maxExpiresSeconds * 1000;

  for (const raw of changes) {
    const shape = readShape(raw, now, rules.members);
    if (typeof shape === 'string') {
      refuse(shape);
      continue;
    }
    const aor = shape.kind === 'upsert' ? shape.binding.aor : shape.aor;
    const user = ourUser(aor, rules.domain);
    if (user === undefined) {
      refuse('foreign-aor');
      continue;
    }
    // Stored under the AOR our registrar writes (the domain as configured), whatever its case here.
    const canonical = `sip:${user}@${rules.domain}`;
    if (shape.kind === 'remove') {
      contactsOf(canonical).delete(contactKey(shape.contact));
      accepted.push({ ...shape, aor: canonical });
      continue;
    }
    const b = { ...shape.binding, aor: canonical };
    if (!rules.extensionExists(user)) {
      refuse('unknown-extension');
      continue;
    }
    if (!wellFormedContact(b.contact)) {
      refuse('bad-contact');
      continue;
    }
    if (!validSource(b.source, b.transport)) {
      refuse('bad-source');
      continue;
    }
    if (b.expiresAt <= now) {
      refuse('expired');
      continue;
    }
    const held = contactsOf(canonical);
    const key = contactKey(b.contact);
    if (!held.has(key) && held.size >= rules.maxContacts) {
      refuse('too-many-contacts');
      continue;
    }
    held.add(key);
    if (b.expiresAt > maxExpiresAt) clamped++;
    accepted.push({ kind: 'upsert', binding: { ...b, expiresAt: Math.min(b.expiresAt, maxExpiresAt) } });
  }
  return { accepted, rejected, rejectedCount, clamped };
}

/**
 * The extension number of `sip:<number>@<domain>`, or undefined when the AOR is not of that
 * form: read by the SIP grammar (`extensionOfAor`: scheme and host in any case, no password,
 * port, parameters or headers), then narrowed to what our registrar writes. A `sips:` AOR is
 * another AOR (RFC 3261 §19.1.4: never equivalent to a sip: one) and the registrar writes
 * only `sip:`; the user must be digits, as an extension number is.
 */
export function ourUser(aor: string, domain: string): string | undefined {
  const user = extensionOfAor(aor, domain);
  return user !== undefined && uriScheme(aor) === 'sip' && EXTENSION_USER.test(user) ? user : undefined;
}

/** A user part that can be an extension number (the registrar's, and the store's 2-10 digits within it). */
const EXTENSION_USER = /^[0-9]{1,32}$/;

/** A Contact a request can be sent to: a sip/sips URI with a host, nothing that breaks a header. */
function wellFormedContact(uri: string): boolean {
  if (uri.length > MAX_URI || UNSAFE_URI.test(uri)) return false;
  const parsed = parseSipUri(uri);
  return !!parsed && parsed.host.length > 0;
}

/** `udp|tcp|tls:<IP address>:<port>` as we write it (system/store/source-key.ts), the transport matching the binding's. */
function validSource(source: string, transport: string): boolean {
  const a = parseSourceKey(source);
  return !!a && isIP(a.address) !== 0 && a.transport === transport && sourceKey(a) === source;
}

/** The change with exactly the fields we store, or why it cannot be one (the API is an edge). */
function readShape(c: unknown, now: number, members: ReadonlySet<string> | undefined): BindingChange | PeerRejectReason {
  if (typeof c !== 'object' || c === null) return 'malformed';
  const x = c as Record<string, unknown>;
  if (x.kind === 'remove') {
    if (typeof x.aor !== 'string' || typeof x.contact !== 'string' || x.contact.length > MAX_URI || !validVersion(x.version, now)) return 'malformed';
    return { kind: 'remove', aor: x.aor, contact: x.contact, version: x.version as number };
  }
  if (x.kind !== 'upsert' || typeof x.binding !== 'object' || x.binding === null) return 'malformed';
  const b = x.binding as Record<string, unknown>;
  const ok = typeof b.aor === 'string' && typeof b.contact === 'string' && typeof b.source === 'string' && typeof b.transport === 'string'
    && typeof b.callId === 'string' && b.callId.length > 0 && b.callId.length <= MAX_CALL_ID
    && (b.userAgent === undefined || typeof b.userAgent === 'string')
    && Number.isFinite(b.expiresAt) && Number.isFinite(b.updatedAt) && validVersion(b.version, now)
    && Number.isInteger(b.cseq) && (b.cseq as number) >= 0 && (b.cseq as number) < 2 ** 31
    && typeof b.q === 'number' && b.q >= 0 && b.q <= 1;
  if (!ok) return 'malformed';
  const binding: BindingRecord = {
    aor: b.aor as string, contact: b.contact as string, expiresAt: b.expiresAt as number, q: b.q as number,
    callId: b.callId as string, cseq: b.cseq as number, source: b.source as string, transport: b.transport as string,
    userAgent: ((b.userAgent as string | undefined) ?? '').slice(0, MAX_USER_AGENT), version: b.version as number,
    updatedAt: Math.min(b.updatedAt as number, now),
    ...(b.behindNat === true ? { behindNat: true } : {}),
    ...heldBy(b.heldBy, members),
  };
  return { kind: 'upsert', binding };
}

/**
 * The flow holder as we keep it: a member we know by name, a token of the right shape (it goes
 * into a Route's user part; only its issuer can check its MAC). Anything else: none.
 */
function heldBy(raw: unknown, members: ReadonlySet<string> | undefined): { heldBy?: FlowHolder } {
  if (typeof raw !== 'object' || raw === null || !members) return {};
  const { member, token } = raw as Record<string, unknown>;
  return typeof member === 'string' && members.has(member) && wellFormedFlowToken(token) ? { heldBy: { member, token } } : {};
}

function validVersion(v: unknown, now: number): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= now + VERSION_AHEAD_MS;
}

function groupByAor(bindings: readonly BindingRecord[], now: number): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    if (b.expiresAt <= now) continue;
    const set = out.get(b.aor) ?? new Set<string>();
    set.add(contactKey(b.contact));
    out.set(b.aor, set);
  }
  return out;
}
