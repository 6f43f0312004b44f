import type { Database } from 'bun:sqlite';

/** A banned SIP source, as kept in the store (the same shape the SIP side's guard uses). */
export interface BanRecord {
  readonly address: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly since: number;
  readonly until: number;
}

/**
 * Bans of SIP sources (issue 10: pike + fail2ban built in). Every connection control section
 * loads them at start, so a ban survives a respawn and a restart; the admin lifts them in the
 * web UI or CLI.
 */
export class BansStore {
  constructor(private readonly db: Database) {}

  /** Records a ban; a later one for the same address replaces it. */
  put(ban: BanRecord): void {
    this.db.query(`INSERT INTO bans (address, reason, since, until) VALUES (?, ?, ?, ?)
      ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, since = excluded.since, until = excluded.until`)
      .run(ban.address, ban.reason.slice(0, 200), ban.since, ban.until);
  }

  /** Bans in force at `now`, newest first. */
  active(now = Date.now()): BanRecord[] {
    return this.db.query<BanRecord, [number]>('SELECT address, reason, since, until FROM bans WHERE until > ? ORDER BY since DESC').all(now);
  }

  /** Lifts a ban; true when there was one. */
  remove(address: string): boolean {
    const r = this.db.query('DELETE FROM bans WHERE address = ?').run(address);
    return r.changes > 0;
  }

  /** Drops bans that have run out. */
  purgeExpired(now = Date.now()): number {
    return this.db.query('DELETE FROM bans WHERE until <= ?').run(now).changes;
  }
}
