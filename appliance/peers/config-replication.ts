import type { ConfigVersionsStore, ReplicatedRow } from '../../system/store/index.ts';
import { CONFIG_BATCH, checkConfigRows, type ConfigRowRules } from './config-rows.ts';
import { linkKey, openFromLink, sealForLink } from './config-secrets.ts';
import type { PeerLink } from './peer-link.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import { capTombstones, TombstoneCapLog } from './tombstone-cap.ts';
import { batchesBySize } from './peer-batches.ts';

/** Path of the peer API entry that takes replicated configuration rows. */
export const CONFIG_PATH = '/peer/config';

/** How often the store is looked at for local changes to send (any writer: API, CLI, restore). */
const PUMP_MS = 100;
/**
 * How long a tombstone is kept: 7 days. A deletion must outlive the longest split we support
 * (a member may be away for a long weekend plus a repair) and a binding's `max_expires` (at
 * most a day); a member away longer should be restored from a backup, not resynced.
 */
export const TOMBSTONE_RETENTION_MS = 7 * 86_400_000;
const PURGE_EVERY_MS = 10 * 60_000;

export interface ConfigReplicationDeps {
  readonly links: readonly PeerLink[];
  readonly versions: ConfigVersionsStore;
  readonly rules: () => ConfigRowRules;
  /** Rows from a peer were applied: the workers reload what they cache. */
  readonly onApplied: () => void;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** Where dropped tombstones are counted (one log for configuration and bindings); absent: its own. */
  readonly capLog?: TombstoneCapLog;
}

/** The answer to a /peer/config request. */
export interface ConfigResponse {
  readonly applied: number;
  readonly older: number;
  readonly rejected: number;
  /** Tombstones for rows never held here, dropped: the table's bound is reached (tombstone-cap.ts). */
  readonly capped?: number;
}

/**
 * Replicated configuration (issue 19): every peer link that is up is sent the rows changed here
 * since the last change it acknowledged, within PUMP_MS of the write. A link that comes up (again)
 * starts from 0: that is the full sync on (re)join, tombstones included. Rows from a peer are
 * checked (config-rows.ts) and applied only when newer (per-row versions, the same rule on every
 * member), and sent on from here like local changes, so a group of three converges even when
 * two of its members cannot reach each other.
 */
export class ConfigReplication {
  private readonly acked = new Map<string, number>();
  private readonly sending = new Set<string>();
  /** Bumped when a link comes up: an answer to a send of an earlier generation acknowledges nothing. */
  private readonly generation = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();
  private timer?: ReturnType<typeof setInterval>;
  private lastPurge = 0;
  /** Tombstones dropped at the bound, per peer and kind (logged once a minute per peer). */
  readonly capped: TombstoneCapLog;

  constructor(private readonly deps: ConfigReplicationDeps) {
    this.capped = deps.capLog ?? new TombstoneCapLog(deps.log);
  }

  start(): void {
    if (this.deps.links.length === 0) return;
    this.timer ??= setInterval(() => this.pump(), PUMP_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The link is up (again): it gets everything, from the first row. */
  linkUp(link: PeerLink): void {
    this.acked.set(link.name, 0);
    this.generation.set(link.name, (this.generation.get(link.name) ?? 0) + 1);
    this.retryAt.delete(link.name);
    this.pump();
  }

  linkDown(link: PeerLink): void {
    this.acked.delete(link.name);
  }

  /** Sends what each up link lacks; drops old tombstones now and then. */
  pump(now = Date.now()): void {
    if (now - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = now;
      this.deps.versions.purgeTombstones(now - TOMBSTONE_RETENTION_MS);
    }
    const max = this.deps.versions.maxSeq();
    for (const link of this.deps.links) {
      const acked = this.acked.get(link.name);
      if (link.state !== 'up' || acked === undefined || acked >= max || this.sending.has(link.name)) continue;
      if ((this.retryAt.get(link.name) ?? 0) > now) continue;
      void this.send(link, acked);
    }
  }

  /** The handler of POST /peer/config (after the HMAC check): checks, then applies the newer rows. */
  receive(peer: string, body: unknown): ConfigResponse {
    const link = this.deps.links.find((l) => l.name === peer);
    const key = link ? linkKey(link.config.secret) : undefined;
    const verdict = checkConfigRows(body, this.deps.rules(), Date.now(), (trunk, sealed) => {
      if (!key) throw new Error('no shared secret with this peer');
      return openFromLink(key, trunk, sealed);
    });
    // A tombstone for a row never held here only while its kind's table has room (tombstone-cap.ts).
    const counts = this.deps.versions.counts();
    const { kept, dropped } = capTombstones(verdict.accepted, {
      isTombstone: (r) => r.deleted, key: (r) => `${r.kind}\u0000${r.key}`, table: (r) => r.kind,
      known: (r) => this.deps.versions.version(r.kind, r.key) !== undefined,
      count: (kind) => counts.get(kind as ReplicatedRow['kind']) ?? { live: 0, tombstones: 0 },
    });
    this.capped.note(peer, dropped);
    const outcome = this.deps.versions.apply(kept);
    const refused = [...verdict.rejected, ...outcome.failed];
    if (refused.length > 0) {
      this.deps.log('peer.config.refused', `${refused.length} configuration row(s) from ${peer} refused`, { peer, rows: refused.slice(0, 5) });
    }
    if (outcome.applied > 0) {
      this.deps.log('peer.config.applied', `${outcome.applied} configuration row(s) from ${peer}`, { peer, keys: kept.slice(0, 10).map(describe) });
      this.deps.onApplied();
    }
    const capped = [...dropped.values()].reduce((a, b) => a + b, 0);
    return { applied: outcome.applied, older: outcome.older, rejected: refused.length, ...(capped > 0 ? { capped } : {}) };
  }

  private async send(link: PeerLink, from: number): Promise<void> {
    this.sending.add(link.name);
    const gen = this.generation.get(link.name);
    let seq = from;
    let sent = 0;
    try {
      for (;;) {
        const { rows, lastSeq } = this.deps.versions.changesAfter(seq, CONFIG_BATCH);
        if (rows.length === 0) break;
        // Cut by size too: the peer API takes at most 64 KiB a request (peer-batches.ts).
        for (const part of batchesBySize(sealedFor(link, rows), CONFIG_BATCH)) await link.post<ConfigResponse>(CONFIG_PATH, { rows: part });
        seq = lastSeq;
        sent += rows.length;
        // Acknowledged only if the link was not reset meanwhile (down, or up again: a new full sync).
        if (this.generation.get(link.name) !== gen || !this.acked.has(link.name)) return;
        this.acked.set(link.name, seq);
        if (rows.length < CONFIG_BATCH) break;
      }
      if (from === 0) this.deps.log('peer.config.synced', `configuration sync to ${link.name}: ${sent} row(s)`, { peer: link.name, rows: sent });
    } catch (err) {
      // The heartbeat marks it down if it is; otherwise a pump a second later tries again from the last acknowledged row.
      this.retryAt.set(link.name, Date.now() + 1000);
      this.deps.log('peer.config.send-failed', `configuration to ${link.name} not sent: ${(err as Error).message.slice(0, 200)}`, { peer: link.name });
    } finally {
      this.sending.delete(link.name);
    }
  }
}

/** The rows as they travel on this link: a trunk's password sealed with the link's key (config-secrets.ts), never in clear. */
function sealedFor(link: PeerLink, rows: readonly ReplicatedRow[]): ReplicatedRow[] {
  let key: Buffer | undefined;
  return rows.map((r) => {
    if (r.kind !== 'trunk' || !r.data) return r;
    const { password, ...rest } = r.data;
    key ??= linkKey(link.config.secret);
    if (password === undefined) return { ...r, data: rest }; // ours does not open: the peer keeps its own
    return { ...r, data: { ...rest, passwordSealed: typeof password === 'string' ? sealForLink(key, r.key, password) : null } };
  });
}

function describe(r: ReplicatedRow): string {
  return `${r.kind} ${r.key}${r.deleted ? ' (removed)' : ''}`;
}
