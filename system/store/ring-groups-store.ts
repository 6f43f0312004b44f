import type { Database } from 'bun:sqlite';
import { ApplianceError } from '../errors/index.ts';
import { EXTENSION_CALL_CLASSES, type ExtensionCallClass } from './extensions-store.ts';

/** How a ring group rings its members (issue 15): all at once, or one after another. */
export type RingStrategy = 'ring-all' | 'hunt';

/** The strategies, for validation. */
export const RING_STRATEGIES: readonly RingStrategy[] = ['ring-all', 'hunt'];

/** One ring group as stored: a number that rings several extensions. */
export interface RingGroupRecord {
  readonly number: string;
  readonly name: string;
  readonly strategy: RingStrategy;
  /** Hunt: how long each member rings before the next one. */
  readonly ringSeconds: number;
  /** The whole group's ring time before the fallback (or 480). */
  readonly timeoutSeconds: number;
  /** An extension or another group, rung when the group did not answer; null: none. */
  readonly fallback: string | null;
  /**
   * Extension numbers and outside numbers (dialled through the dial plan), in hunt order.
   * An outside member is called as the group: the permissions below, not the caller's.
   */
  readonly members: readonly string[];
  /** The dearest class of outside number a member may be (issue 15; internal < local < national < international < premium). */
  readonly callClass: ExtensionCallClass;
  /** Outside members ringing or in a call at once, over all the group's calls (0 = none). */
  readonly maxOutsideCalls: number;
  /** Calls to outside members started per hour (0 = none). */
  readonly outsideCallsPerHour: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface Row {
  number: string; name: string; strategy: string; ring_seconds: number; timeout_seconds: number;
  fallback: string | null; created_at: number; updated_at: number;
  call_class: string; max_outside_calls: number; outside_calls_per_hour: number;
}

type OutsidePermission = 'callClass' | 'maxOutsideCalls' | 'outsideCallsPerHour';

/** The fields an admin sets on a group (the outside permissions default as an extension's: national, 2, 30). */
export type RingGroupFields = Omit<RingGroupRecord, 'createdAt' | 'updatedAt' | OutsidePermission> & Partial<Pick<RingGroupRecord, OutsidePermission>>;

/** A group's outside permissions when none are given (an extension's defaults, migration 8). */
export const GROUP_OUTSIDE_DEFAULTS = { callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30 } as const;

/** CRUD on the ring_groups and ring_group_members tables. */
export class RingGroupsStore {
  private readonly byNumber;
  private readonly membersOf;
  constructor(private readonly db: Database) {
    this.byNumber = db.query<Row, [string]>('SELECT * FROM ring_groups WHERE number = ?');
    this.membersOf = db.query<{ member: string }, [string]>('SELECT member FROM ring_group_members WHERE group_number = ? ORDER BY position');
  }

  get(number: string): RingGroupRecord | undefined {
    const row = this.byNumber.get(number);
    return row ? this.toRecord(row) : undefined;
  }

  list(): RingGroupRecord[] {
    return this.db.query<Row, []>('SELECT * FROM ring_groups ORDER BY number').all().map((r) => this.toRecord(r));
  }

  /** Inserts a new group; `conflict` when the number is taken. */
  add(rec: RingGroupFields, now = Date.now()): RingGroupRecord {
    if (this.get(rec.number)) throw new ApplianceError('conflict', `ring group ${rec.number} already exists`);
    const p = { ...GROUP_OUTSIDE_DEFAULTS, ...rec };
    this.db.transaction(() => {
      this.db.query(`INSERT INTO ring_groups (number, name, strategy, ring_seconds, timeout_seconds, fallback, call_class, max_outside_calls,
        outside_calls_per_hour, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(rec.number, rec.name, rec.strategy, rec.ringSeconds, rec.timeoutSeconds, rec.fallback, p.callClass, p.maxOutsideCalls, p.outsideCallsPerHour, now, now);
      this.writeMembers(rec.number, rec.members);
    })();
    return this.get(rec.number)!;
  }

  /** Replaces the fields of an existing group; `not-found` when it does not exist. */
  update(number: string, patch: Partial<Omit<RingGroupFields, 'number'>>, now = Date.now()): RingGroupRecord {
    const cur = this.get(number);
    if (!cur) throw new ApplianceError('not-found', `ring group ${number} does not exist`);
    const next = { ...cur, ...patch };
    this.db.transaction(() => {
      this.db.query(`UPDATE ring_groups SET name = ?, strategy = ?, ring_seconds = ?, timeout_seconds = ?, fallback = ?, call_class = ?,
        max_outside_calls = ?, outside_calls_per_hour = ?, updated_at = ? WHERE number = ?`)
        .run(next.name, next.strategy, next.ringSeconds, next.timeoutSeconds, next.fallback, next.callClass, next.maxOutsideCalls, next.outsideCallsPerHour, now, number);
      if (patch.members) this.writeMembers(number, patch.members);
    })();
    return this.get(number)!;
  }

  /** Removes a group and its member list; `not-found` when it does not exist. */
  remove(number: string): void {
    const res = this.db.transaction(() => {
      this.db.query('DELETE FROM ring_group_members WHERE group_number = ?').run(number);
      return this.db.query('DELETE FROM ring_groups WHERE number = ?').run(number);
    })();
    if (res.changes === 0) throw new ApplianceError('not-found', `ring group ${number} does not exist`);
  }

  private writeMembers(number: string, members: readonly string[]): void {
    this.db.query('DELETE FROM ring_group_members WHERE group_number = ?').run(number);
    const insert = this.db.query('INSERT INTO ring_group_members (group_number, position, member) VALUES (?, ?, ?)');
    members.forEach((m, i) => insert.run(number, i, m));
  }

  private toRecord(r: Row): RingGroupRecord {
    return {
      number: r.number, name: r.name, strategy: r.strategy === 'hunt' ? 'hunt' : 'ring-all', ringSeconds: r.ring_seconds,
      timeoutSeconds: r.timeout_seconds, fallback: r.fallback, members: this.membersOf.all(r.number).map((m) => m.member),
      callClass: (EXTENSION_CALL_CLASSES as readonly string[]).includes(r.call_class) ? r.call_class as ExtensionCallClass : 'national',
      maxOutsideCalls: r.max_outside_calls, outsideCallsPerHour: r.outside_calls_per_hour,
      createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }
}
