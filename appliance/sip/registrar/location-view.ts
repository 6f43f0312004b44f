import type { BindingChange, BindingRecord, RegistrationsStore } from '../../../system/store/index.ts';
import { contactKey } from './registrar-rules.ts';

/** Writes queued changes after this long, or sooner when the batch is full. */
const FLUSH_MS = 25;
const FLUSH_BATCH = 500;
/**
 * While a REGISTER waits for its 200 (group commit, issue 12): the batch is written this soon,
 * so the REGISTERs of a burst share one SQLite transaction and each waits a few ms at most.
 */
const ACK_FLUSH_MS = 2;

/**
 * The location service (RFC 3261 §10.2) held in memory by each connection control section,
 * written through to the store in batches so a burst of REGISTERs does not serialise on
 * SQLite (DESIGN.md hard spots). Every binding has a version: a late change with a lower
 * version never overwrites a newer one (applies to changes from other workers and peers).
 */
export class LocationView {
  private readonly byAor = new Map<string, BindingRecord[]>();
  /** Bindings by contact URI, so in-dialog requests to a contact reach the phone's flow (TCP, NAT). */
  private readonly byContact = new Map<string, BindingRecord>();
  /** Bindings whose REGISTER this worker took (the records themselves: a later change replaces them). */
  private readonly local = new WeakSet<BindingRecord>();
  private queue: BindingChange[] = [];
  /** Told when the queued changes are committed (true) or could not be (false). */
  private waiters: ((committed: boolean) => void)[] = [];
  private flushTimer?: ReturnType<typeof setTimeout>;
  private flushDue = Infinity;
  private readonly listeners = new Set<(aor: string) => void>();
  private expiryTimer?: ReturnType<typeof setTimeout>;
  private nextExpiry = Infinity;
  /**
   * Called with the changes made here, for replication to other workers or peers: in batches,
   * when their store write is done and before the REGISTERs waiting on it are answered (one IPC
   * message per batch, not per REGISTER: one per REGISTER was 15 % of a worker's CPU under
   * digest REGISTER load). So a sibling never holds a binding the store lost.
   */
  onLocalChange?: (changes: readonly BindingChange[]) => void;
  /** Changes made here not yet handed to `onLocalChange` (they go with the next flush). */
  private unannounced: BindingChange[] = [];

  constructor(private readonly store: RegistrationsStore) {}

  /** Loads the unexpired bindings from the store (at start: bindings survive a restart). */
  load(now = Date.now()): number {
    this.byAor.clear();
    this.byContact.clear();
    const rows = this.store.loadActive(now);
    for (const b of rows) this.insert(b);
    this.rescheduleExpiry();
    return rows.length;
  }

  /** Current bindings of an AOR (unexpired at `now`), best q first. */
  bindings(aor: string, now = Date.now()): BindingRecord[] {
    const list = this.byAor.get(aor);
    if (!list) return [];
    return list.filter((b) => b.expiresAt > now);
  }

  /** The live binding whose Contact is `uri` (compared as contactKey), if any. */
  bindingForContact(uri: string, now = Date.now()): BindingRecord | undefined {
    const b = this.byContact.get(contactKey(uri));
    return b && b.expiresAt > now ? b : undefined;
  }

  /**
   * The live bindings this worker made itself (their REGISTER reached it; the kernel keeps a
   * UDP flow on one worker): the ones it keeps alive with NAT pings. A binding replaced from
   * elsewhere (the phone re-registered through another worker or a peer) is not local any more;
   * bindings loaded from the store at start are nobody's until the phone registers again.
   */
  localBindings(now = Date.now()): BindingRecord[] {
    const out: BindingRecord[] = [];
    for (const list of this.byAor.values()) for (const b of list) if (b.expiresAt > now && this.local.has(b)) out.push(b);
    return out;
  }

  /** Every AOR with at least one binding. */
  aors(): IterableIterator<string> {
    return this.byAor.keys();
  }

  /** Total number of bindings held. */
  get size(): number {
    let n = 0;
    for (const l of this.byAor.values()) n += l.length;
    return n;
  }

  /**
   * Applies changes decided here (registrar): memory now, store soon, replicas notified.
   * `committed`, when given, is called once the changes are in the store (true) or the write
   * failed (false): acknowledged means durable, so the registrar answers 200 only then
   * (group commit: the REGISTERs of a burst share one transaction, a few ms).
   */
  applyLocal(changes: readonly BindingChange[], committed?: (ok: boolean) => void): void {
    if (changes.length === 0) {
      committed?.(true);
      return;
    }
    for (const c of this.applyToMemory(changes)) if (c.kind === 'upsert') this.local.add(c.binding);
    if (committed) this.waiters.push(committed);
    for (const c of changes) this.unannounced.push(c);
    this.enqueue(changes);
  }

  /**
   * A REGISTER answered again (a retransmission, registrar-rules.ts): its bindings, as held
   * here, must be in the store before the 200 goes. A sibling worker tells its changes before
   * its batch commits, so one that died in between left them only in memory: those are written
   * now, at their own version (nothing else changes); the rest are not touched. This worker now
   * holds the phone's flow, so the bindings become its own (NAT pings). `committed` as for
   * `applyLocal`.
   */
  ensureStored(bindings: readonly BindingRecord[], committed: (ok: boolean) => void): void {
    const held = bindings.filter((b) => this.byContact.get(contactKey(b.contact)) === b);
    for (const b of held) this.local.add(b);
    let missing: BindingChange[];
    try {
      missing = held.filter((b) => this.store.storedVersion(b.aor, b.contact) < b.version).map((binding) => ({ kind: 'upsert', binding }));
    } catch {
      committed(false);
      return;
    }
    if (missing.length === 0) {
      committed(true);
      return;
    }
    this.waiters.push(committed);
    this.enqueue(missing);
  }

  /** Applies changes from elsewhere (another worker or a peer); the store was written by them. */
  applyRemote(changes: readonly BindingChange[]): void {
    this.applyToMemory(changes);
  }

  /**
   * Removes every binding of the AORs `drop` selects through the normal local path: a removal
   * one version above the binding (last writer wins, DESIGN.md), written to the store and
   * handed to `onLocalChange`, so the other workers and the peers drop it too. Used when an
   * extension is removed. Returns the changes made.
   */
  removeWhere(drop: (aor: string) => boolean, now = Date.now()): BindingChange[] {
    const changes: BindingChange[] = [];
    for (const [aor, list] of this.byAor) {
      if (!drop(aor)) continue;
      for (const b of list) changes.push({ kind: 'remove', aor, contact: b.contact, version: Math.max(b.version + 1, now) });
    }
    this.applyLocal(changes);
    return changes;
  }

  /**
   * Removes expired bindings from this view (its own timer calls it at each expiry); returns
   * the AORs that changed. Expired rows stay in the store until its one purger deletes them
   * (the control section's schedule, or the single-process runtime's); `loadActive` never
   * returns them, so they are invisible meanwhile.
   */
  purgeExpired(now = Date.now()): string[] {
    const changed: string[] = [];
    for (const [aor, list] of this.byAor) {
      const keep = list.filter((b) => b.expiresAt > now);
      if (keep.length === list.length) continue;
      for (const b of list) if (b.expiresAt <= now) this.unindex(b);
      if (keep.length === 0) this.byAor.delete(aor);
      else this.byAor.set(aor, keep);
      changed.push(aor);
    }
    for (const aor of changed) this.notify(aor);
    this.rescheduleExpiry();
    return changed;
  }

  /** Subscribes to changes of any AOR. */
  onChange(listener: (aor: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes every queued change now, in one transaction; then tells who waits for it. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushDue = Infinity;
    const batch = this.queue;
    const waiters = this.waiters;
    const announce = this.unannounced;
    this.queue = [];
    this.waiters = [];
    this.unannounced = [];
    let ok = true;
    try {
      this.store.apply(batch);
    } catch (err) {
      ok = false;
      if (waiters.length === 0) throw err;
    } finally {
      // Told even when the write failed: this view holds them, and so should the others (as before).
      if (announce.length > 0) {
        try {
          this.onLocalChange?.(announce);
        } catch {
          // the replicas catch up from the store; the waiters must still be answered
        }
      }
      for (const w of waiters) {
        try {
          w(ok);
        } catch {
          // one waiter's failure must not keep the others unanswered
        }
      }
    }
  }

  private enqueue(changes: readonly BindingChange[]): void {
    for (const c of changes) this.queue.push(c);
    if (this.queue.length >= FLUSH_BATCH) {
      this.flush();
      return;
    }
    const delay = this.waiters.length > 0 ? ACK_FLUSH_MS : FLUSH_MS;
    const due = Date.now() + delay;
    if (due >= this.flushDue) return;
    clearTimeout(this.flushTimer);
    this.flushDue = due;
    this.flushTimer = setTimeout(() => this.flush(), delay);
  }

  private applyToMemory(changes: readonly BindingChange[]): BindingChange[] {
    const applied: BindingChange[] = [];
    const touched = new Set<string>();
    for (const c of changes) {
      const aor = c.kind === 'upsert' ? c.binding.aor : c.aor;
      const contact = c.kind === 'upsert' ? c.binding.contact : c.contact;
      const list = this.byAor.get(aor) ?? [];
      const i = list.findIndex((b) => b.contact === contact);
      const cur = i >= 0 ? list[i] : undefined;
      const version = c.kind === 'upsert' ? c.binding.version : c.version;
      if (cur && cur.version > version) continue; // a newer change already won
      if (cur) this.unindex(cur);
      if (c.kind === 'upsert') {
        if (cur) list[i] = c.binding;
        else list.push(c.binding);
        this.byContact.set(contactKey(c.binding.contact), c.binding);
        this.expireAt(c.binding.expiresAt);
        list.sort((a, b) => b.q - a.q || b.updatedAt - a.updatedAt);
        this.byAor.set(aor, list);
      } else if (cur) {
        list.splice(i, 1);
        if (list.length === 0) this.byAor.delete(aor);
      }
      applied.push(c);
      touched.add(aor);
    }
    for (const aor of touched) this.notify(aor);
    return applied;
  }

  /** Stops the expiry timer and flushes (shutdown). */
  close(): void {
    clearTimeout(this.expiryTimer);
    this.flush();
  }

  /**
   * Bindings leave the view (and the DNS) the moment they expire, not at the next scheduled
   * purge: one timer for the earliest expiry.
   */
  private expireAt(at: number): void {
    if (at >= this.nextExpiry) return;
    this.nextExpiry = at;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.purgeExpired(), Math.max(0, at - Date.now()) + 20);
    this.expiryTimer.unref?.();
  }

  private rescheduleExpiry(): void {
    this.nextExpiry = Infinity;
    clearTimeout(this.expiryTimer);
    let earliest = Infinity;
    for (const list of this.byAor.values()) for (const b of list) earliest = Math.min(earliest, b.expiresAt);
    if (earliest < Infinity) this.expireAt(earliest);
  }

  private unindex(b: BindingRecord): void {
    const key = contactKey(b.contact);
    if (this.byContact.get(key) === b) this.byContact.delete(key);
  }

  private insert(b: BindingRecord): void {
    this.byContact.set(contactKey(b.contact), b);
    const list = this.byAor.get(b.aor);
    if (list) list.push(b);
    else this.byAor.set(b.aor, [b]);
  }

  private notify(aor: string): void {
    for (const l of this.listeners) l(aor);
  }
}
