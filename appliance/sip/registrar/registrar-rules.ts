import type { BindingChange, BindingRecord, FlowHolder } from '../../../system/store/index.ts';
import { statusFor } from '../../../system/errors/index.ts';
import { sipUriKey } from '../message/uri.ts';

/**
 * The registrar's decision (RFC 3261 §10.3), a pure function: given a REGISTER's contacts and
 * the current bindings of the AOR, either reject the request or return the changes to apply
 * and the bindings that result.
 */
export interface RegisterInput {
  readonly aor: string;
  /** `*` (remove all) or the Contact values with their URI and parameters. */
  readonly contacts: '*' | readonly { readonly uri: string; readonly params: Readonly<Record<string, string | null>> }[];
  /** The Expires header value, if present and valid. */
  readonly expiresHeader?: number;
  readonly callId: string;
  readonly cseq: number;
  readonly source: string;
  readonly transport: string;
  readonly userAgent: string;
  readonly now: number;
  /** Whether a contact's REGISTER showed signs of NAT (nat-detect.ts); kept with its binding. */
  readonly behindNat?: (contact: string) => boolean;
  /** A TCP/TLS REGISTER: we hold its connection, named by this token (kept with every binding it makes, issue 19). */
  readonly heldBy?: FlowHolder;
}

export interface RegistrarSettings {
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  readonly maxContacts: number;
}

export type RegisterOutcome =
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly headers?: Record<string, string> }
  | {
    readonly kind: 'accept'; readonly changes: BindingChange[]; readonly bindings: BindingRecord[];
    /** A retransmission of a REGISTER already processed (no changes): the bindings it made, to be sure they are stored. */
    readonly replayed?: readonly BindingRecord[];
  };

/** Contact keys already computed: a REGISTER asks for the same few several times (bounded; starts over when full). */
const contactKeys = new Map<string, string>();
const CONTACT_KEYS_MAX = 4096;

/**
 * Canonical key of a contact URI for binding comparison (RFC 3261 §10.3 step 7, §19.1.4 lite):
 * the SIP grammar's `sipUriKey` (scheme and host lower-cased, the rest as sent), or the text
 * itself for one that is not a SIP URI (a peer's removal of a contact we would never bind).
 */
export function contactKey(uri: string): string {
  const known = contactKeys.get(uri);
  if (known !== undefined) return known;
  const text = uri.trim();
  const key = sipUriKey(text) ?? text;
  if (contactKeys.size >= CONTACT_KEYS_MAX) contactKeys.clear();
  contactKeys.set(uri, key);
  return key;
}

/** Applies a REGISTER to the AOR's current bindings. */
export function applyRegister(input: RegisterInput, current: readonly BindingRecord[], s: RegistrarSettings): RegisterOutcome {
  const live = current.filter((b) => b.expiresAt > input.now);

  // Step 6: "*" only with Expires: 0 and as the only Contact.
  if (input.contacts === '*') {
    if (input.expiresHeader !== 0) return { kind: 'reject', status: statusFor('malformed-message').sip, reason: 'Contact * requires Expires: 0' };
    for (const b of live) {
      if (b.callId === input.callId && input.cseq <= b.cseq) return outOfOrder();
    }
    return {
      kind: 'accept',
      changes: live.map((b) => ({ kind: 'remove', aor: b.aor, contact: b.contact, version: nextVersion(b, input.now) })),
      bindings: [],
    };
  }

  const wanted: Wanted[] = [];
  for (const c of input.contacts) {
    let expires = input.expiresHeader ?? s.defaultExpires;
    const param = c.params.expires;
    if (param !== undefined && param !== null) {
      if (!/^\d{1,10}$/.test(param)) return { kind: 'reject', status: statusFor('malformed-message').sip, reason: 'Bad expires parameter' };
      expires = Number(param);
    }
    // Step 7: 423 with Min-Expires when the interval is too brief (§10.3 step 7, §20.23).
    if (expires !== 0 && expires < s.minExpires) {
      return { kind: 'reject', status: statusFor('interval-too-brief').sip, reason: 'Interval Too Brief', headers: { 'min-expires': String(s.minExpires) } };
    }
    const q = parseQ(c.params.q);
    if (q === undefined) return { kind: 'reject', status: statusFor('malformed-message').sip, reason: 'Bad q parameter' };
    wanted.push({ uri: c.uri, key: contactKey(c.uri), expires: Math.min(expires, s.maxExpires), q });
  }

  const byKey = new Map(live.map((b) => [contactKey(b.contact), b]));
  const replayed = retransmitted(input, wanted, live, byKey);
  if (replayed) return { kind: 'accept', changes: [], bindings: bestFirst(live), replayed };
  const changes: BindingChange[] = [];
  for (const { uri, key, expires, q } of wanted) {
    const existing = byKey.get(key);
    if (existing && existing.callId === input.callId && input.cseq <= existing.cseq) return outOfOrder();
    if (expires === 0) {
      if (existing) {
        changes.push({ kind: 'remove', aor: input.aor, contact: existing.contact, version: nextVersion(existing, input.now) });
        byKey.delete(key);
      }
      continue;
    }
    const binding: BindingRecord = {
      aor: input.aor, contact: uri, expiresAt: input.now + expires * 1000, q, callId: input.callId,
      cseq: input.cseq, source: input.source, transport: input.transport, userAgent: input.userAgent,
      version: existing ? nextVersion(existing, input.now) : input.now, updatedAt: input.now,
      ...(input.behindNat?.(uri) ? { behindNat: true } : {}),
      ...(input.heldBy ? { heldBy: input.heldBy } : {}),
    };
    changes.push({ kind: 'upsert', binding });
    byKey.set(key, binding);
  }
  if (byKey.size > s.maxContacts) {
    return { kind: 'reject', status: statusFor('forbidden').sip, reason: `Too many contacts (at most ${s.maxContacts})` };
  }
  return { kind: 'accept', changes, bindings: bestFirst([...byKey.values()]) };
}

/** One Contact of the request, checked: its key (step 7's comparison), interval (capped) and q. */
interface Wanted {
  readonly uri: string;
  readonly key: string;
  readonly expires: number;
  readonly q: number;
}

/**
 * The same REGISTER again, already processed here (RFC 3261 §10.3 step 7 aborts a CSeq lower
 * than the stored one; an equal one with the same contents is a retransmission): its 200 was
 * lost, or the worker that took it died before the retransmission came, and the one that gets
 * it has no server transaction to match it to (§17.2.3). Same Call-ID, CSeq, flow, and every
 * Contact as the original left it: bound with the same q and interval, or (expires 0) gone;
 * and no other binding of that CSeq. Returns the bindings it made; undefined otherwise.
 */
function retransmitted(input: RegisterInput, wanted: readonly Wanted[], live: readonly BindingRecord[], byKey: ReadonlyMap<string, BindingRecord>): BindingRecord[] | undefined {
  const made = live.filter((b) => b.callId === input.callId && b.cseq === input.cseq);
  if (made.length === 0 || made.length !== wanted.filter((w) => w.expires > 0).length) return undefined;
  for (const w of wanted) {
    const b = byKey.get(w.key);
    if (w.expires === 0) {
      if (b) return undefined;
      continue;
    }
    if (!b || b.callId !== input.callId || b.cseq !== input.cseq || b.source !== input.source || b.q !== w.q) return undefined;
    if (b.expiresAt - b.updatedAt !== w.expires * 1000) return undefined;
  }
  return made;
}

function bestFirst(bindings: BindingRecord[]): BindingRecord[] {
  return bindings.sort((a, b) => b.q - a.q || b.updatedAt - a.updatedAt);
}

/** Contact header values for the 200 OK: every current binding with its remaining expiry (§10.3 step 8). */
export function contactsForReply(bindings: readonly BindingRecord[], now: number): { uri: string; params: Record<string, string> }[] {
  return bindings.map((b) => ({
    uri: b.contact,
    params: { expires: String(Math.max(0, Math.round((b.expiresAt - now) / 1000))), ...(b.q !== 1 ? { q: String(b.q) } : {}) },
  }));
}

function outOfOrder(): RegisterOutcome {
  // §10.3 step 7: same Call-ID with a CSeq not higher than stored (and not a retransmission): the update MUST be aborted.
  return { kind: 'reject', status: statusFor('internal').sip, reason: 'Out of order REGISTER', headers: { 'retry-after': '1' } };
}

function nextVersion(b: BindingRecord, now: number): number {
  return Math.max(b.version + 1, now);
}

function parseQ(q: string | null | undefined): number | undefined {
  if (q === undefined || q === null) return 1;
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) return undefined;
  return Number(q);
}
