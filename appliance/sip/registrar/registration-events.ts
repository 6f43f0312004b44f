import type { BindingChange, BindingRecord, Store } from '../../../system/store/index.ts';
import { describeSource } from '../../../system/store/source-key.ts';
import { loggableUri, uriUser } from '../message/uri.ts';
import { contactKey } from './registrar-rules.ts';

/** One event-log entry a REGISTER makes. */
export interface RegistrationEvent {
  readonly kind: 'sip.registration.new' | 'sip.registration.gone';
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** `sip:201@office.lan` → `201` (the SIP grammar's user part); an AOR without one is named as it is. */
const extensionOf = (aor: string) => uriUser(aor) ?? aor;

/**
 * What a committed REGISTER (RFC 3261 §10.3) is worth writing to the event log: a binding that
 * is new (a contact the AOR did not have) or gone (removed by the phone: Expires 0 or `*`).
 * A refresh of a contact already bound writes nothing, so 100 phones refreshing every few
 * minutes leave no trace; a phone that comes back from elsewhere (a new contact) does.
 * A pure function of the bindings before the REGISTER and the changes it made.
 */
export function registrationEvents(before: readonly BindingRecord[], changes: readonly BindingChange[]): RegistrationEvent[] {
  const had = new Set(before.map((b) => contactKey(b.contact)));
  const out: RegistrationEvent[] = [];
  for (const c of changes) {
    if (c.kind === 'upsert') {
      if (had.has(contactKey(c.binding.contact))) continue;
      const b = c.binding;
      const ext = extensionOf(b.aor);
      const ua = b.userAgent ? ` (${b.userAgent})` : '';
      out.push({
        kind: 'sip.registration.new',
        message: `extension ${ext} registered ${loggableUri(b.contact)} from ${describeSource(b.source)}${ua}`,
        details: { extension: ext, contact: loggableUri(b.contact), source: b.source, userAgent: b.userAgent, expiresInSeconds: Math.round((b.expiresAt - b.updatedAt) / 1000) },
      });
    } else {
      const ext = extensionOf(c.aor);
      out.push({
        kind: 'sip.registration.gone',
        message: `extension ${ext} unregistered ${loggableUri(c.contact)}`,
        details: { extension: ext, contact: loggableUri(c.contact), cause: 'unregistered by the phone' },
      });
    }
  }
  return out;
}

/** The most extensions one expiry entry names; the rest are counted. */
const EXPIRED_NAMED = 20;

/**
 * One event-log entry for the bindings one purge removed because their phones stopped
 * refreshing them (a phone switched off or unplugged), or null when none expired: one row per
 * purge run however many expired at once (a power cut takes every phone).
 */
export function expiredEvent(rows: readonly { aor: string; contact: string }[]): { kind: 'sip.registration.expired'; message: string; details: Record<string, unknown> } | null {
  if (rows.length === 0) return null;
  const exts = [...new Set(rows.map((r) => extensionOf(r.aor)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const named = exts.slice(0, EXPIRED_NAMED).join(', ') + (exts.length > EXPIRED_NAMED ? ` and ${exts.length - EXPIRED_NAMED} more` : '');
  return {
    kind: 'sip.registration.expired',
    message: `${rows.length === 1 ? 'registration' : `${rows.length} registrations`} expired (not refreshed): extension${exts.length === 1 ? '' : 's'} ${named}`,
    details: { extensions: exts, contacts: rows.slice(0, EXPIRED_NAMED).map((r) => loggableUri(r.contact)) },
  };
}

/** The store's one purger (control section, or the in-process appliance): expired bindings out, one event for them. */
export function purgeExpiredLogged(store: Store, now = Date.now()): void {
  const e = expiredEvent(store.registrations.purgeExpiredBindings(now));
  if (e) store.events.append(e.kind, e.message, e.details);
}
