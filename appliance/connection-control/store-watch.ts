import type { Store } from '../../system/store/index.ts';

/** How often the store is looked at for commits by other connections (ms). */
const DEFAULT_POLL_MS = 1000;

/**
 * The one place a connection control section learns that the store changed under it (issue 13,
 * item 7: the DNS function polled for itself while the worker reacted to a message). Two
 * triggers, one reaction (`refresh`):
 * - `changed()`: the control section's `store-changed` message, sent at once after the web UI,
 *   the CLI through the control channel, or a peer changed extensions, records or bans;
 * - a poll of SQLite's `PRAGMA data_version`, which moves when another connection commits
 *   (SQLite docs): the catch-all for a writer that told nobody (an admin CLI run while the
 *   control channel was unreachable, another worker's writes).
 * Whichever comes first refreshes; the other then finds nothing new.
 */
export class StoreWatch {
  private seen: number;
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(
    private readonly store: Store,
    private readonly refresh: () => void,
    private readonly log: (line: string) => void = () => {},
    pollMs = DEFAULT_POLL_MS,
  ) {
    this.seen = this.version();
    this.poll = setInterval(() => this.look(), pollMs);
    this.poll.unref?.();
  }

  /** Told that the store changed: refresh now. */
  changed(): void {
    this.seen = this.version();
    this.run();
  }

  stop(): void {
    clearInterval(this.poll);
  }

  private look(): void {
    try {
      const v = this.version();
      if (v === this.seen) return;
      this.seen = v;
    } catch (err) {
      this.log(`store watch: poll failed: ${(err as Error).message}`);
      return;
    }
    this.run();
  }

  private run(): void {
    try {
      this.refresh();
    } catch (err) {
      this.log(`store watch: refresh failed: ${(err as Error).message}`);
    }
  }

  private version(): number {
    return (this.store.db.query('PRAGMA data_version').get() as { data_version: number }).data_version;
  }
}
