import type { Database } from 'bun:sqlite';
import type { PeerConfig } from '../config/index.ts';

/**
 * Peer appliances kept in the store (the secret too: the peer API needs it; the store lives
 * in the data directory, which only the appliance reads). The TOML's [[peers]] are written
 * here at start; the web UI reads them from here.
 */
export class PeersStore {
  constructor(private readonly db: Database) {}

  list(): PeerConfig[] {
    return this.db.query<PeerConfig, []>('SELECT name, url, sip, secret FROM peers ORDER BY name').all();
  }

  /** Makes the stored peers from the configuration match it (config peers are authoritative). */
  syncFromConfig(peers: readonly PeerConfig[], now = Date.now()): void {
    this.db.transaction(() => {
      this.db.query("DELETE FROM peers WHERE source = 'config'").run();
      const insert = this.db.query(`INSERT INTO peers (name, url, sip, secret, source, updated_at) VALUES (?, ?, ?, ?, 'config', ?)
        ON CONFLICT (name) DO UPDATE SET url = excluded.url, sip = excluded.sip, secret = excluded.secret, source = 'config', updated_at = excluded.updated_at`);
      for (const p of peers) insert.run(p.name, p.url, p.sip, p.secret, now);
    })();
  }
}
