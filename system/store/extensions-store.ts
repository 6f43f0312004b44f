import type { Database } from 'bun:sqlite';
import { ApplianceError } from '../errors/index.ts';
import { CALL_CLASSES, type CallClass } from '../config/trunk-config.ts';

/**
 * Which digest algorithms an extension's phones are challenged with (RFC 8760):
 * `default` follows `[sip] auth_algorithms` (MD5) until a phone has proven SHA-256 (learnt);
 * `md5` MD5 only; `both` SHA-256 then MD5 (a phone picks); `sha-256` SHA-256 only.
 */
export type DigestPolicy = 'default' | 'md5' | 'both' | 'sha-256';

/** The digest policies, for validation. */
export const DIGEST_POLICIES: readonly DigestPolicy[] = ['default', 'md5', 'both', 'sha-256'];

/** One extension as stored: digest credentials only as HA1 hashes, never the password. */
export interface ExtensionRecord {
  readonly number: string;
  readonly displayName: string;
  readonly realm: string;
  readonly ha1Md5: string;
  readonly ha1Sha256: string;
  readonly e164: string | null;
  readonly digest: DigestPolicy;
  /** The dearest class of outside call it may make (issue 14): internal < local < national < international < premium. */
  readonly callClass: ExtensionCallClass;
  /** Outside calls it may have at once (established), and start per hour. */
  readonly maxOutsideCalls: number;
  readonly outsideCallsPerHour: number;
  /** Its identity towards the provider (P-Asserted-Identity), else the trunk's `caller_id`. */
  readonly outboundCallerId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  number: string; display_name: string; realm: string; ha1_md5: string; ha1_sha256: string;
  e164: string | null; digest: string; created_at: number; updated_at: number;
  call_class: string; max_outside_calls: number; outside_calls_per_hour: number; outbound_caller_id: string | null;
}

/** Call classes as the store keeps them (the config's `CallClass`; system/config/trunk-config.ts). */
export type ExtensionCallClass = CallClass;
export const EXTENSION_CALL_CLASSES: readonly ExtensionCallClass[] = CALL_CLASSES;

const toRecord = (r: Row): ExtensionRecord => ({
  number: r.number, displayName: r.display_name, realm: r.realm, ha1Md5: r.ha1_md5,
  ha1Sha256: r.ha1_sha256, e164: r.e164,
  digest: (DIGEST_POLICIES as readonly string[]).includes(r.digest) ? r.digest as DigestPolicy : 'default', createdAt: r.created_at, updatedAt: r.updated_at,
  callClass: (EXTENSION_CALL_CLASSES as readonly string[]).includes(r.call_class) ? r.call_class as ExtensionCallClass : 'national',
  maxOutsideCalls: r.max_outside_calls, outsideCallsPerHour: r.outside_calls_per_hour, outboundCallerId: r.outbound_caller_id,
});

/** The outside-call permission fields of an extension. */
type PermissionField = 'callClass' | 'maxOutsideCalls' | 'outsideCallsPerHour' | 'outboundCallerId';

/** CRUD on the extensions table. */
export class ExtensionsStore {
  private readonly byNumber;
  private readonly learntQuery;
  private readonly withLearntQuery;
  constructor(private readonly db: Database) {
    this.byNumber = db.query<Row, [string]>('SELECT * FROM extensions WHERE number = ?');
    this.learntQuery = db.query<{ agent: string }, [string]>('SELECT agent FROM digest_learnt WHERE extension = ? ORDER BY agent');
    this.withLearntQuery = db.query<Row & { learnt: string }, [string]>(`SELECT e.*, (SELECT json_group_array(agent) FROM
      (SELECT agent FROM digest_learnt WHERE extension = e.number ORDER BY agent)) AS learnt FROM extensions e WHERE e.number = ?`);
  }

  get(number: string): ExtensionRecord | undefined {
    const row = this.byNumber.get(number);
    return row ? toRecord(row) : undefined;
  }

  /** The extension that carries this E.164 number, if any. */
  findByE164(e164: string): ExtensionRecord | undefined {
    const row = this.db.query<Row, [string]>('SELECT * FROM extensions WHERE e164 = ?').get(e164);
    return row ? toRecord(row) : undefined;
  }

  list(): ExtensionRecord[] {
    return this.db.query<Row, []>('SELECT * FROM extensions ORDER BY number').all().map(toRecord);
  }

  /** Inserts a new extension; `conflict` when the number or E.164 number is taken. */
  add(rec: Omit<ExtensionRecord, 'createdAt' | 'updatedAt' | 'digest' | PermissionField> & { readonly digest?: DigestPolicy } & Partial<Pick<ExtensionRecord, PermissionField>>, now = Date.now()): ExtensionRecord {
    if (this.get(rec.number)) throw new ApplianceError('conflict', `extension ${rec.number} already exists`, { field: 'number' });
    if (rec.e164 && this.db.query('SELECT 1 FROM extensions WHERE e164 = ?').get(rec.e164)) {
      throw new ApplianceError('conflict', `E.164 number ${rec.e164} is already used by another extension`, { field: 'e164' });
    }
    this.db.query(`INSERT INTO extensions (number, display_name, realm, ha1_md5, ha1_sha256, e164, digest, call_class, max_outside_calls,
      outside_calls_per_hour, outbound_caller_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      rec.number, rec.displayName, rec.realm, rec.ha1Md5, rec.ha1Sha256, rec.e164, rec.digest ?? 'default', rec.callClass ?? 'national',
      rec.maxOutsideCalls ?? 2, rec.outsideCallsPerHour ?? 30, rec.outboundCallerId ?? null, now, now);
    return this.get(rec.number)!;
  }

  /** Updates fields of an existing extension; `not-found` when it does not exist. */
  update(number: string, patch: Partial<Pick<ExtensionRecord, 'displayName' | 'realm' | 'ha1Md5' | 'ha1Sha256' | 'e164' | 'digest' | PermissionField>>, now = Date.now()): ExtensionRecord {
    const cur = this.get(number);
    if (!cur) throw new ApplianceError('not-found', `extension ${number} does not exist`);
    const next = { ...cur, ...patch };
    this.db.transaction(() => {
      this.db.query(`UPDATE extensions SET display_name = ?, realm = ?, ha1_md5 = ?, ha1_sha256 = ?, e164 = ?, digest = ?, call_class = ?,
        max_outside_calls = ?, outside_calls_per_hour = ?, outbound_caller_id = ?, updated_at = ? WHERE number = ?`)
        .run(next.displayName, next.realm, next.ha1Md5, next.ha1Sha256, next.e164, next.digest, next.callClass, next.maxOutsideCalls,
          next.outsideCallsPerHour, next.outboundCallerId, now, number);
      // A new policy set by the admin starts over: what the phones proved before is forgotten.
      if (patch.digest !== undefined && patch.digest !== cur.digest) this.db.query('DELETE FROM digest_learnt WHERE extension = ?').run(number);
    })();
    return this.get(number)!;
  }

  /** The phones (user-agent products) of an extension that answered a SHA-256 challenge. */
  learntSha256(number: string): string[] {
    return this.learntQuery.all(number).map((r) => r.agent);
  }

  /**
   * An extension and its `learntSha256` phones, read in one statement (a digest challenge
   * needs both: one SQLite read per 401 rather than two, issue 16).
   */
  withLearnt(number: string): { readonly ext: ExtensionRecord; readonly learnt: string[] } | undefined {
    const row = this.withLearntQuery.get(number);
    if (!row) return undefined;
    return { ext: toRecord(row), learnt: row.learnt === '[]' ? [] : JSON.parse(row.learnt) as string[] };
  }

  /** Records that a phone of this extension answered a SHA-256 challenge; true when new. */
  learnSha256(number: string, agent: string, now = Date.now()): boolean {
    const res = this.db.query('INSERT OR IGNORE INTO digest_learnt (extension, agent, learnt_at) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM extensions WHERE number = ?)')
      .run(number, agent, now, number);
    return res.changes > 0;
  }

  /** Removes an extension; `not-found` when it does not exist. */
  remove(number: string): void {
    const res = this.db.transaction(() => {
      this.db.query('DELETE FROM digest_learnt WHERE extension = ?').run(number);
      return this.db.query('DELETE FROM extensions WHERE number = ?').run(number);
    })();
    if (res.changes === 0) throw new ApplianceError('not-found', `extension ${number} does not exist`);
  }
}
