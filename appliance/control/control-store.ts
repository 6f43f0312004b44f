import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Logger } from '../../system/log/logger.ts';
import { openStore, type Store } from '../../system/store/index.ts';

/**
 * The store as the control section opens it: every event stored (ours, the web API's, the
 * admin's) also a log line, the file's `[[peers]]` written in, our name on replicated writes.
 */
export function openControlStore(config: ApplianceConfig, logger: Pick<Logger, 'event'>): Store {
  const store = openStore(config.dataDir, { events: config.log, bindingTombstoneMs: config.sip.maxExpires * 1000 });
  // Every event stored (ours, the web API's, the admin's) is also a log line, written once here.
  store.events.onAppend = (kind, message, details, ts) => logger.event(kind, message, details, ts);
  // Peers live in the store (the web UI reads them there); the file's [[peers]] are written in.
  store.peers.syncFromConfig(config.peers);
  // Local writes to replicated tables are versioned with our name (the triggers of migration 12).
  store.configVersions.setOrigin(config.name);
  return store;
}
