/**
 * Reloading the config file without a restart (issue 17): which file keys can change how, and
 * the pure decision of what one reload does. The edge (config-reload.ts) reads and validates
 * the file and applies the plan.
 */

/**
 * How a changed key takes effect:
 * - `live`: the control section applies it at once (its policy, schedules, retention);
 * - `new-workers`: the connection control sections build it at start, so new ones are spawned
 *   with the new config and the old ones drained (no call dropped, the scale-in drain);
 * - `restart`: the control section itself or the store holds it (web listener, data directory,
 *   peers, domain): the reload is refused and names the key.
 */
export type ReloadHow = 'live' | 'new-workers' | 'restart';

/** One row of the classification: how, and whether new sockets are needed (listen address, port). */
export interface ReloadClass {
  readonly how: ReloadHow;
  /**
   * The new workers bind other sockets than the old ones: the old generation keeps its shared
   * sockets while it drains (calls set up on the old address still reach it) instead of leaving
   * them to the new workers.
   */
  readonly sockets?: true;
}

const live: ReloadClass = { how: 'live' };
const workers: ReloadClass = { how: 'new-workers' };
const sockets: ReloadClass = { how: 'new-workers', sockets: true };
const restart: ReloadClass = { how: 'restart' };

/**
 * The one table: file key (or a table/array of tables, covering what is under it) → how a
 * change is applied. The longest matching prefix wins; a key missing here is `restart` (safe).
 */
export const RELOAD_CLASSES: Readonly<Record<string, ReloadClass>> = {
  name: restart, // the peers know this appliance by it (heartbeats, hand-off)
  data_dir: restart, // the store and the control token live there
  sip: workers, // expiries, trusted, mode, auth, tcp_* bounds, NAT pings, worker_port_base
  'sip.listen': sockets,
  'sip.port': sockets,
  'sip.advertise': sockets, // Record-Route and Via of calls in progress keep the old one
  'sip.transports': sockets,
  'sip.tls': sockets,
  'sip.domain': restart, // the extensions' HA1 hashes are over the domain: they need new passwords
  dns: workers, // zone, enum_suffix, forwarders, allow, ttl (DNS records in the store are live already)
  'dns.enabled': sockets,
  'dns.listen': sockets,
  'dns.port': sockets,
  web: restart, // the control section's own listener (admin UI, API, command channel)
  control: live, // min/max workers, policy thresholds, sample_schedule, heartbeat, stop grace, hand-off mode
  peers: restart, // the peer links are built once at start
  security: workers,
  log: live, // retention_days, max_events; format, level and areas: every process's logger (the workers' over the IPC)
  'log.rate_per_kind': restart, // every process's event store is opened with it
  emergency: workers,
  overload: workers,
  call_records: live,
  trunks: workers, // the slot's trunk registrar and every worker's dial plan are built at start
  routes: workers,
  inbound: workers,
  feature_codes: workers, // the feature-codes stage of every worker's pipeline
  voicemail: workers,
  metrics: restart, // the scrape allowlist of the /metrics route, built with the listener
  backups: restart, // the backup job and its passphrase are set up once at start
};

/** How a file key changes (longest prefix of `key` in RELOAD_CLASSES). */
export function classify(key: string): ReloadClass {
  for (let k = key; k.length > 0; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const row = RELOAD_CLASSES[k];
    if (row) return row;
  }
  return restart;
}

/** One changed key of the file (dotted, as written in the file; arrays count as one key). */
export interface ReloadChange extends ReloadClass {
  readonly key: string;
}

/** What one reload does. */
export interface ReloadPlan {
  readonly changes: readonly ReloadChange[];
  /**
   * `none`: nothing changed; `live`: only live keys; `new-workers`: new workers with the new
   * config (and the live keys); `refuse`: a key needs a restart, nothing is applied.
   */
  readonly action: 'none' | 'live' | 'new-workers' | 'refuse';
  /** The keys that need a restart (when refused). */
  readonly restart: readonly string[];
  /** The new workers bind other sockets (see ReloadClass.sockets). */
  readonly newSockets: boolean;
}

/**
 * Compares the running file's TOML (parsed, before defaults) with the new one's: every leaf
 * key that was added, removed or changed, classified. A key removed goes back to its default,
 * so it counts as changed (even if the default happens to equal the old value: harmless).
 */
export function planReload(running: Record<string, unknown>, next: Record<string, unknown>): ReloadPlan {
  const a = flatten(running);
  const b = flatten(next);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes = keys.filter((k) => a.get(k) !== b.get(k)).map((key) => ({ key, ...classify(key) }));
  const restartKeys = changes.filter((c) => c.how === 'restart').map((c) => c.key);
  const action = changes.length === 0 ? 'none'
    : restartKeys.length > 0 ? 'refuse'
      : changes.some((c) => c.how === 'new-workers') ? 'new-workers' : 'live';
  return { changes, action, restart: restartKeys, newSockets: action === 'new-workers' && changes.some((c) => c.sockets === true) };
}

/** Dotted leaf key → its value as JSON (tables are descended, arrays and scalars are leaves). */
function flatten(value: Record<string, unknown>, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)) flatten(v as Record<string, unknown>, key, out);
    else out.set(key, JSON.stringify(v));
  }
  return out;
}
