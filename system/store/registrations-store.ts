import type { Database } from 'bun:sqlite';

/** One stored binding of a contact to an AOR (RFC 3261 §10.3). */
export interface BindingRecord {
  readonly aor: string;
  readonly contact: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly q: number;
  readonly callId: string;
  readonly cseq: number;
  /** Where the REGISTER came from, as `transport:address:port` (for NAT / TCP flows). */
  readonly source: string;
  readonly transport: string;
  readonly userAgent: string;
  /**
   * The REGISTER showed signs of NAT (appliance/sip/registrar/nat-detect.ts): the phone is
   * reached at `source`, and UDP ones get OPTIONS keep-alive pings. Absent: not behind NAT.
   */
  readonly behindNat?: boolean;
  /**
   * A TCP/TLS binding: the member of the peer group holding the phone's connection (its
   * `name`) and the flow token it issued for it (sip/security/flow-token.ts). Another member
   * reaches the phone through the holder (RFC 5626 §5.3), never by a connection of its own.
   * Absent: UDP, or a binding written before migration 16.
   */
  readonly heldBy?: FlowHolder;
  /** Monotonic per binding; a late update with a lower version never overwrites a newer one. */
  readonly version: number;
  readonly updatedAt: number;
}

/** Who holds a stream binding's connection, and the token that names it there (`BindingRecord.heldBy`). */
export interface FlowHolder {
  /** The holder's `name` (this appliance's, or one of its `[[peers]]`). */
  readonly member: string;
  readonly token: string;
}

interface Row {
  aor: string; contact: string; expires_at: number; q: number; call_id: string; cseq: number;
  source: string; transport: string; user_agent: string; version: number; updated_at: number; behind_nat: number;
  flow_holder: string; flow_token: string;
}

const toRecord = (r: Row): BindingRecord => ({
  aor: r.aor, contact: r.contact, expiresAt: r.expires_at, q: r.q, callId: r.call_id, cseq: r.cseq,
  source: r.source, transport: r.transport, userAgent: r.user_agent, version: r.version, updatedAt: r.updated_at,
  ...(r.behind_nat ? { behindNat: true } : {}),
  ...(r.flow_holder && r.flow_token ? { heldBy: { member: r.flow_holder, token: r.flow_token } } : {}),
});

/** A change to write: an upsert of a binding, or the removal of one at a version. */
export type BindingChange =
  | { readonly kind: 'upsert'; readonly binding: BindingRecord }
  | { readonly kind: 'remove'; readonly aor: string; readonly contact: string; readonly version: number };

/** How long a binding tombstone is kept by default: the longest `max_expires` the config allows (7 days). */
export const DEFAULT_BINDING_TOMBSTONE_MS = 604_800_000;

/**
 * Registrations (location) table; writes go in batches, one transaction per batch. A removal
 * (an unregister, the admin's, a dead NAT flow; not an expiry) leaves a tombstone at its
 * version (migration 14): an older upsert of that binding, a peer's full sync after a split
 * say, is refused, and the full sync sends the tombstones on. A tombstone is kept for
 * `tombstoneMs` (`max_expires`) past its version: a binding it beats was written before the
 * removal, so it has expired everywhere by then.
 */
export class RegistrationsStore {
  private readonly upsert;
  private readonly remove;
  private readonly tombstone;
  private readonly dropTombstone;
  private readonly removedQuery;
  /** `apply`'s one transaction, wrapped once (a `db.transaction` made per batch cost ~10 us, issue 16). */
  private readonly applyInTransaction: (changes: readonly BindingChange[]) => BindingChange[];
  /** @param tombstoneMs how long a removal is remembered past its version: `max_expires` in ms. */
  constructor(private readonly db: Database, private readonly tombstoneMs = DEFAULT_BINDING_TOMBSTONE_MS) {
    // Last writer wins per binding by version: an older version never replaces a newer row.
    this.upsert = db.query(`INSERT INTO registrations
        (aor, contact, expires_at, q, call_id, cseq, source, transport, user_agent, version, updated_at, behind_nat, flow_holder, flow_token)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (aor, contact) DO UPDATE SET
        expires_at = excluded.expires_at, q = excluded.q, call_id = excluded.call_id, cseq = excluded.cseq,
        source = excluded.source, transport = excluded.transport, user_agent = excluded.user_agent,
        version = excluded.version, updated_at = excluded.updated_at, behind_nat = excluded.behind_nat,
        flow_holder = excluded.flow_holder, flow_token = excluded.flow_token
      WHERE excluded.version >= registrations.version`);
    this.remove = db.query('DELETE FROM registrations WHERE aor = ? AND contact = ? AND version <= ?');
    this.tombstone = db.query(`INSERT INTO binding_tombstones (aor, contact, version, until) VALUES (?, ?, ?, ?)
      ON CONFLICT (aor, contact) DO UPDATE SET version = excluded.version, until = excluded.until WHERE excluded.version > binding_tombstones.version`);
    this.dropTombstone = db.query('DELETE FROM binding_tombstones WHERE aor = ? AND contact = ? AND version < ?');
    this.removedQuery = db.query<{ version: number }, [string, string]>('SELECT version FROM binding_tombstones WHERE aor = ? AND contact = ?');
    this.applyInTransaction = db.transaction((changes: readonly BindingChange[]): BindingChange[] => {
      const applied: BindingChange[] = [];
      for (const c of changes) {
        if (c.kind === 'upsert') {
          const b = c.binding;
          const removed = this.removedVersion(b.aor, b.contact);
          if (removed >= b.version) continue;
          const r = this.upsert.run(b.aor, b.contact, b.expiresAt, b.q, b.callId, b.cseq, b.source, b.transport, b.userAgent, b.version, b.updatedAt, b.behindNat ? 1 : 0, b.heldBy?.member ?? '', b.heldBy?.token ?? '');
          if (r.changes === 0) continue;
          // An older removal of it goes (a refresh, the common case, has none to drop).
          if (removed > 0) this.dropTombstone.run(b.aor, b.contact, b.version);
        } else {
          this.remove.run(c.aor, c.contact, c.version);
          this.tombstone.run(c.aor, c.contact, c.version, c.version + this.tombstoneMs);
        }
        applied.push(c);
      }
      return applied;
    });
  }

  /**
   * Applies a batch of changes in one transaction; returns the ones that took effect (an
   * upsert older than the row or the tombstone here does not, so it is not passed on).
   */
  apply(changes: readonly BindingChange[]): BindingChange[] {
    if (changes.length === 0) return [];
    return this.applyInTransaction(changes);
  }

  /** The version of the removal remembered for this binding, or 0. */
  removedVersion(aor: string, contact: string): number {
    return this.removedQuery.get(aor, contact)?.version ?? 0;
  }

  /** The version of the stored binding, or 0 when there is no row for it. */
  storedVersion(aor: string, contact: string): number {
    return this.db.query<{ version: number }, [string, string]>('SELECT version FROM registrations WHERE aor = ? AND contact = ?').get(aor, contact)?.version ?? 0;
  }

  /** The removals still remembered at `now`, as changes (a full sync sends them with the bindings). */
  tombstones(now = Date.now()): BindingChange[] {
    return this.db.query<{ aor: string; contact: string; version: number }, [number]>('SELECT aor, contact, version FROM binding_tombstones WHERE until > ? ORDER BY aor, contact')
      .all(now).map((t) => ({ kind: 'remove', aor: t.aor, contact: t.contact, version: t.version }));
  }

  /** How many binding tombstones are held (the bound on a peer's, appliance/peers/tombstone-cap.ts). */
  tombstoneCount(): number {
    return this.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM binding_tombstones').get()?.n ?? 0;
  }

  /** All bindings that have not expired at `now`. */
  loadActive(now = Date.now()): BindingRecord[] {
    return this.db.query<Row, [number]>('SELECT * FROM registrations WHERE expires_at > ? ORDER BY aor, q DESC').all(now).map(toRecord);
  }

  /** How many bindings have not expired at `now` (the metrics). */
  countActive(now = Date.now()): number {
    return this.db.query<{ n: number }, [number]>('SELECT COUNT(*) AS n FROM registrations WHERE expires_at > ?').get(now)?.n ?? 0;
  }

  /** Deletes expired rows; returns how many. */
  purgeExpired(now = Date.now()): number {
    return this.purgeExpiredBindings(now).length;
  }

  /** Deletes the expired bindings and says which they were (for the event log). */
  purgeExpiredBindings(now = Date.now()): { aor: string; contact: string }[] {
    this.db.query('DELETE FROM binding_tombstones WHERE until <= ?').run(now);
    return this.db.query<{ aor: string; contact: string }, [number]>('DELETE FROM registrations WHERE expires_at <= ? RETURNING aor, contact').all(now);
  }
}
