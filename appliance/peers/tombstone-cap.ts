import type { EventKind } from '../../system/log/event-kinds.ts';

/**
 * The bound on tombstones a peer can make us keep (issue 19). A tombstone for a row we hold
 * (or for one we already hold a tombstone of) always applies: a deletion must never be lost,
 * and it does not grow the table (a row becomes a tombstone; a tombstone is replaced). One for a
 * row we never had costs a row kept for its whole lifetime (7 days for configuration,
 * `max_expires` for bindings), so a peer with the group's secret, buggy or not, could grow the
 * store without end. Such a tombstone is kept only while its table holds fewer than
 * max(TOMBSTONE_FLOOR, TOMBSTONES_PER_LIVE_ROW × the table's live rows) tombstones.
 *
 * Per table (each replicated kind, and the bindings): a flood of DNS-record tombstones cannot
 * use up the room of extension deletions, and each bound follows that table's own size. The
 * floor covers a week of an office's ordinary deletions; twice the live rows covers a table
 * renewed completely twice within a lifetime (a full re-import). What is lost past the bound is
 * only the relay of a deletion of a row this member never had to a third member that has it.
 */
export const TOMBSTONE_FLOOR = 1000;
/** Tombstones allowed per live row of the table, above the floor. */
export const TOMBSTONES_PER_LIVE_ROW = 2;

/** How full one table is. */
export interface TableCount {
  readonly live: number;
  readonly tombstones: number;
}

/** Most tombstones a table with `live` rows keeps for rows it never had. */
export function tombstoneCap(live: number): number {
  return Math.max(TOMBSTONE_FLOOR, TOMBSTONES_PER_LIVE_ROW * live);
}

/** Whether a tombstone from a peer is kept: always for a row known here, else only below the table's cap. */
export function admitTombstone(known: boolean, table: TableCount): boolean {
  return known || table.tombstones < tombstoneCap(table.live);
}

/** How one batch's items are read for the cap. */
export interface CapLookups<T> {
  /** The item is a removal (a tombstone). */
  isTombstone(item: T): boolean;
  /** The row's identity (for an upsert and a removal of it in the same batch). */
  key(item: T): string;
  /** The table the item belongs to. */
  table(item: T): string;
  /** Whether the store holds the row, or a tombstone of it, now. */
  known(item: T): boolean;
  /** The table's counts before the batch. */
  count(table: string): TableCount;
}

/**
 * Applies the cap to one batch (pure, given the lookups), in order: an unknown tombstone
 * admitted counts towards its table's bound for the rest of the batch, a row new here raises
 * its table's live count, and a row added earlier in the batch is known (its removal later in
 * the batch always applies). Returns the items to apply and the number dropped per table.
 */
export function capTombstones<T>(items: readonly T[], l: CapLookups<T>): { kept: T[]; dropped: Map<string, number> } {
  const counts = new Map<string, { live: number; tombstones: number }>();
  const countOf = (table: string) => {
    let c = counts.get(table);
    if (!c) counts.set(table, (c = { ...l.count(table) }));
    return c;
  };
  const addedHere = new Set<string>();
  const kept: T[] = [];
  const dropped = new Map<string, number>();
  for (const item of items) {
    const key = l.key(item);
    const known = addedHere.has(key) || l.known(item);
    if (!l.isTombstone(item)) {
      if (!known) countOf(l.table(item)).live++;
      addedHere.add(key);
      kept.push(item);
      continue;
    }
    const table = l.table(item);
    const c = countOf(table);
    if (!admitTombstone(known, c)) {
      dropped.set(table, (dropped.get(table) ?? 0) + 1);
      continue;
    }
    // A known row's tombstone takes the row's place (the next batch counts from the store again).
    if (!known) c.tombstones++;
    kept.push(item);
  }
  return { kept, dropped };
}

/** At most one `peer.tombstones.capped` event per peer in this long. */
export const CAP_LOG_INTERVAL_MS = 60_000;

/**
 * Dropped tombstones, counted per peer and table (totals for the status) and written to the
 * event log at most once per CAP_LOG_INTERVAL_MS per peer, with what was dropped since the
 * last event: a flood costs one event a minute, not one a request.
 */
export class TombstoneCapLog {
  /** Dropped since start, per peer and table. */
  readonly totals = new Map<string, Map<string, number>>();
  private readonly pending = new Map<string, { lastLoggedAt: number; byTable: Map<string, number> }>();

  constructor(
    private readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void,
    private readonly intervalMs = CAP_LOG_INTERVAL_MS,
  ) {}

  note(peer: string, dropped: ReadonlyMap<string, number>, now = Date.now()): void {
    if (dropped.size === 0) return;
    const total = this.totals.get(peer) ?? new Map<string, number>();
    this.totals.set(peer, total);
    const p = this.pending.get(peer) ?? { lastLoggedAt: -Infinity, byTable: new Map<string, number>() };
    this.pending.set(peer, p);
    for (const [table, n] of dropped) {
      total.set(table, (total.get(table) ?? 0) + n);
      p.byTable.set(table, (p.byTable.get(table) ?? 0) + n);
    }
    if (now - p.lastLoggedAt < this.intervalMs) return;
    const n = [...p.byTable.values()].reduce((a, b) => a + b, 0);
    const tables = Object.fromEntries(p.byTable);
    this.log('peer.tombstones.capped', `dropped ${n} tombstone(s) from ${peer} for rows never held here: the tombstone table is full (${Object.entries(tables).map(([t, c]) => `${t} ${c}`).join(', ')})`, {
      peer, dropped: n, tables, floor: TOMBSTONE_FLOOR, perLiveRow: TOMBSTONES_PER_LIVE_ROW,
    });
    p.lastLoggedAt = now;
    p.byTable = new Map();
  }
}
