import { ValidationError } from '../../system/errors/index.ts';
import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { EMERGENCY_TRUNK_SETTING, trunkSecretName } from '../trunks/outside-line.ts';
import { OutsideLineService } from './outside-line-service.ts';

/**
 * The outside line added in the store (issue 14) in a backup: each entry as its config table
 * (docs/TRUNKS.md "Who owns what"); a trunk's password only in an encrypted backup (`secrets`),
 * like the extensions' HA1 hashes. The config file's entries are not in it (the file is).
 */
export interface BackupOutsideLine {
  readonly trunks: readonly Readonly<Record<string, unknown>>[];
  readonly routes: readonly Readonly<Record<string, unknown>>[];
  readonly inbound: readonly Readonly<Record<string, unknown>>[];
  /** The emergency trunk the admin chose (when the config file names none). */
  readonly emergencyTrunk: string | null;
}

export const NO_OUTSIDE_LINE: BackupOutsideLine = { trunks: [], routes: [], inbound: [], emergencyTrunk: null };
const FIELDS = ['trunks', 'routes', 'inbound', 'emergencyTrunk'];
const MAX_ROWS = 200;
const MAX_ROW_CHARS = 4096;

const reject = (message: string) => new ValidationError(`backup rejected, nothing was changed: ${message}`, 'file');

/** The store's outside line for a backup. */
export function exportOutsideLine(store: Store, secrets: boolean): BackupOutsideLine {
  return {
    trunks: store.outsideLine.list('trunk').map((e) => {
      const password = secrets ? store.secrets.get(trunkSecretName(e.name!)) : undefined;
      return password !== undefined ? { ...e.entry, password } : { ...e.entry };
    }),
    routes: store.outsideLine.list('route').map((e) => ({ ...e.entry })),
    inbound: store.outsideLine.list('inbound').map((e) => ({ ...e.entry })),
    emergencyTrunk: store.settings.get(EMERGENCY_TRUNK_SETTING) ?? null,
  };
}

/** The section's shape (its values are checked at restore by the config's own parsers); absent: none. */
export function parseOutsideLine(raw: unknown, secrets: boolean): BackupOutsideLine {
  if (raw === undefined) return NO_OUTSIDE_LINE;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw reject('"outsideLine" must be an object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw reject(`outsideLine: unknown field "${k}"`);
  const list = (k: 'trunks' | 'routes' | 'inbound') => {
    const v = o[k] ?? [];
    if (!Array.isArray(v) || v.length > MAX_ROWS) throw reject(`outsideLine.${k} must be a list of at most ${MAX_ROWS} entries`);
    return v.map((r, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r) || JSON.stringify(r).length > MAX_ROW_CHARS) throw reject(`outsideLine.${k} ${i + 1} must be a small object`);
      if (k === 'trunks' && !secrets && 'password' in r) throw reject(`outsideLine.trunks ${i + 1}: a password in a backup without secrets`);
      return r as Record<string, unknown>;
    });
  };
  const e = o.emergencyTrunk ?? null;
  if (e !== null && (typeof e !== 'string' || e.length > 64)) throw reject('outsideLine.emergencyTrunk must be a trunk name or null');
  return { trunks: list('trunks'), routes: list('routes'), inbound: list('inbound'), emergencyTrunk: e };
}

/**
 * Replaces the store's outside line with the backup's, inside the restore's transaction, each
 * entry through OutsideLineService (the CLI's and the API's checks; extensions and ring groups
 * are restored first, so inbound targets exist). A registering trunk without a password (a
 * backup without secrets) is kept; it is left out of the running line until `trunk password`
 * sets one. Returns those trunks. `row` names the entry when one fails.
 */
export function restoreOutsideLine(store: Store, config: ApplianceConfig, doc: BackupOutsideLine, row: (label: string, run: () => void) => void): string[] {
  for (const t of store.outsideLine.list('trunk')) store.secrets.remove(trunkSecretName(t.name!));
  store.db.run('DELETE FROM outside_line_entries');
  store.db.run('DELETE FROM settings WHERE key = ?', [EMERGENCY_TRUNK_SETTING]);
  const line = new OutsideLineService(store, config);
  const needPassword: string[] = [];
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  doc.trunks.forEach((t, i) => row(`trunk ${i + 1} ("${String(t.name).slice(0, 64)}")`, () => {
    const input = {
      name: String(t.name), registrar: str(t.registrar), transport: str(t.transport), username: str(t.username), password: str(t.password),
      authUsername: str(t.auth_username), domain: str(t.domain), callerId: str(t.caller_id),
      register: typeof t.register === 'boolean' ? t.register : undefined, keepalive: typeof t.keepalive === 'number' ? t.keepalive : undefined,
    };
    if (input.password === undefined && input.register !== false) needPassword.push(input.name);
    line.addTrunk(input, { passwordLater: true });
  }));
  doc.routes.forEach((r, i) => row(`route ${i + 1} ("${String(r.name).slice(0, 64)}")`, () => line.addRoute({
    name: String(r.name), pattern: str(r.pattern), replace: str(r.replace), trunk: str(r.trunk), class: str(r.class),
    failover: Array.isArray(r.failover) ? r.failover.map(String) : typeof r.failover === 'string' ? [r.failover] : undefined,
  })));
  doc.inbound.forEach((n, i) => row(`inbound number ${i + 1}`, () => void line.addInbound({ did: str(n.did), trunk: str(n.trunk), to: str(n.to) })));
  if (doc.emergencyTrunk && config.emergency.trunk === undefined) row('emergency trunk', () => line.setEmergencyTrunk(doc.emergencyTrunk!));
  return needPassword;
}
