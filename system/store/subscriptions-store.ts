import type { Database } from 'bun:sqlite';

/** The event packages the appliance is the notifier for (busy lamps RFC 4235, presence RFC 3856). */
export type SubscriptionEvent = 'dialog' | 'presence';

/**
 * A subscription a phone of ours holds (RFC 6665 §4.2.1): the subscription dialog's
 * identifiers, where the NOTIFYs go, until when, and what the notifier sent last. Kept in the
 * store so a subscription outlives the worker that sends its NOTIFYs (docs/PBX.md "Busy lamps").
 */
export interface SubscriptionRecord {
  readonly id: string;
  readonly event: SubscriptionEvent;
  /** The `id` parameter of the SUBSCRIBE's Event header (RFC 6665 §8.2.1), '' when none. */
  readonly eventId: string;
  /** The subscribing extension (authenticated). */
  readonly subscriber: string;
  /** The extension watched. */
  readonly target: string;
  readonly callId: string;
  /** The subscriber's tag (its From tag) and ours (the To tag of our 200). */
  readonly remoteTag: string;
  readonly localTag: string;
  /** The subscriber's Contact: the NOTIFY's Request-URI (RFC 6665 §4.1.2.1 dialog route set, none here). */
  readonly contact: string;
  /** Where the SUBSCRIBE came from, `transport:address:port` (the NOTIFYs go there, NAT-safe as bindings). */
  readonly source: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** NOTIFYs sent so far: the next NOTIFY's CSeq is this + 1, its dialog-info version this (RFC 4235 §4.1). */
  readonly notifies: number;
  readonly createdAt: number;
}

interface Row {
  id: string; event: string; event_id: string; subscriber: string; target: string; call_id: string; remote_tag: string; local_tag: string;
  contact: string; source: string; expires_at: number; notifies: number; created_at: number;
}

function record(r: Row): SubscriptionRecord {
  return {
    id: r.id, event: r.event as SubscriptionEvent, eventId: r.event_id, subscriber: r.subscriber, target: r.target, callId: r.call_id,
    remoteTag: r.remote_tag, localTag: r.local_tag, contact: r.contact, source: r.source, expiresAt: r.expires_at, notifies: r.notifies, createdAt: r.created_at,
  };
}

/** Reads and writes the subscriptions table. */
export class SubscriptionsStore {
  private readonly byId;
  private readonly byDialog;
  private readonly countOf;
  constructor(private readonly db: Database) {
    this.byId = db.query<Row, [string]>('SELECT * FROM subscriptions WHERE id = ?');
    this.byDialog = db.query<Row, [string, string, string, string]>('SELECT * FROM subscriptions WHERE call_id = ? AND remote_tag = ? AND local_tag = ? AND event = ?');
    this.countOf = db.query<{ n: number }, [string, number]>('SELECT COUNT(*) AS n FROM subscriptions WHERE subscriber = ? AND expires_at > ?');
  }

  get(id: string): SubscriptionRecord | undefined {
    const r = this.byId.get(id);
    return r ? record(r) : undefined;
  }

  /** The subscription of a dialog (an in-dialog SUBSCRIBE: refresh or unsubscribe). */
  findByDialog(callId: string, remoteTag: string, localTag: string, event: SubscriptionEvent): SubscriptionRecord | undefined {
    const r = this.byDialog.get(callId, remoteTag, localTag, event);
    return r ? record(r) : undefined;
  }

  /** Subscriptions an extension holds now (the per-phone limit). */
  countBySubscriber(subscriber: string, now = Date.now()): number {
    return this.countOf.get(subscriber, now)?.n ?? 0;
  }

  list(): SubscriptionRecord[] {
    return this.db.query<Row, []>('SELECT * FROM subscriptions ORDER BY created_at').all().map(record);
  }

  /** Subscriptions watching an extension. */
  watching(target: string): SubscriptionRecord[] {
    return this.db.query<Row, [string]>('SELECT * FROM subscriptions WHERE target = ? ORDER BY created_at').all(target).map(record);
  }

  add(s: SubscriptionRecord): void {
    this.db.query(`INSERT INTO subscriptions (id, event, event_id, subscriber, target, call_id, remote_tag, local_tag, contact, source, expires_at, notifies, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(s.id, s.event, s.eventId, s.subscriber, s.target, s.callId, s.remoteTag, s.localTag, s.contact, s.source, s.expiresAt, s.notifies, s.createdAt);
  }

  /** A refresh (or an unsubscribe: `expiresAt` now): the new expiry, Contact and source. */
  refresh(id: string, expiresAt: number, contact: string, source: string): void {
    this.db.query('UPDATE subscriptions SET expires_at = ?, contact = ?, source = ? WHERE id = ?').run(expiresAt, contact, source, id);
  }

  /** The notifier sent a NOTIFY: its count (CSeq, version) goes on from there after a restart. */
  notified(id: string, notifies: number): void {
    this.db.query('UPDATE subscriptions SET notifies = MAX(notifies, ?) WHERE id = ?').run(notifies, id);
  }

  remove(id: string): boolean {
    return this.db.query('DELETE FROM subscriptions WHERE id = ?').run(id).changes > 0;
  }

  /** Drops the subscriptions of and to an extension that was removed. */
  removeExtension(number: string): number {
    return this.db.query('DELETE FROM subscriptions WHERE subscriber = ? OR target = ?').run(number, number).changes;
  }
}
