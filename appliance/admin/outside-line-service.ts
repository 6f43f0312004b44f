import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError, ValidationError } from '../../system/errors/index.ts';
import type { OutsideLineEntry, OutsideLineKind, Store } from '../../system/store/index.ts';
import { EMERGENCY_TRUNK_SETTING, mergeOutsideLine, storeSources, trunkSecretName, type OutsideLine } from '../trunks/outside-line.ts';

/** A trunk as an admin gives it (CLI options, API body): the `[[trunks]]` keys in camelCase. */
export interface TrunkInput {
  readonly name: string;
  readonly registrar?: string;
  readonly transport?: string;
  readonly username?: string;
  /** Required for a new registering trunk; on a change, absent keeps the stored one. */
  readonly password?: string;
  readonly authUsername?: string | null;
  readonly domain?: string | null;
  readonly register?: boolean;
  readonly callerId?: string | null;
  /** Seconds between OPTIONS keep-alives while registered (default 30; 0: none). */
  readonly keepalive?: number;
  /** `tls_ca`: the PEM file of a TLS provider's private CA (absolute path on the appliance); null: the system CAs. */
  readonly tlsCa?: string | null;
}

/** A route as an admin gives it: the `[[routes]]` keys. */
export interface RouteInput {
  readonly name: string;
  readonly pattern?: string;
  readonly replace?: string;
  readonly trunk?: string;
  readonly class?: string;
  readonly failover?: readonly string[];
}

/** An inbound number as an admin gives it: the `[[inbound]]` keys. */
export interface InboundInput {
  readonly did?: string;
  readonly trunk?: string;
  readonly to?: string;
}

type FileLine = Pick<ApplianceConfig, 'trunks' | 'routes' | 'inbound' | 'emergency' | 'sip'>;
/** The id a candidate entry has while it is checked (not yet stored). */
const NEW = -1;

/**
 * Trunks, routes and inbound numbers the admin adds, changes and removes (issue 14), for the
 * CLI and the API alike. Each change is checked by the config's own parsers in the merged
 * outside line (outside-line.ts: names unique across the config file and the store, every
 * reference naming a trunk, patterns compiling and safe to run), errors naming the field;
 * entries from the config file are fixed here (`conflict`: edit the file). A trunk password
 * is sealed (store.secrets), never returned. After a change the caller tells the running
 * appliance (`storeChanged`): the workers read the outside line again.
 */
export class OutsideLineService {
  constructor(private readonly store: Store, private readonly file: FileLine) {}

  /** The outside line as it runs (config + store). */
  view(): OutsideLine {
    return mergeOutsideLine(this.file, storeSources(this.store));
  }

  /**
   * Adds a trunk. `passwordLater` (a restore from a backup without secrets): a registering
   * trunk may come without its password; it is left out of the running line (outside-line.ts
   * `skipped`) until one is set.
   */
  addTrunk(input: TrunkInput, opts: { readonly passwordLater?: boolean } = {}): void {
    const later = opts.passwordLater === true && input.password === undefined;
    if (input.password === undefined && input.register !== false && !later) throw new ValidationError('password: is required when register = true', 'password');
    const table = trunkTable(input);
    this.check({ id: NEW, kind: 'trunk', name: input.name, entry: table }, input.password);
    const firstWay = this.emergencyTrunk() === undefined;
    this.store.db.transaction(() => {
      this.store.outsideLine.add('trunk', input.name, table);
      if (input.password !== undefined) this.store.secrets.put(trunkSecretName(input.name), input.password);
      // Emergency calls must have a way out: the first trunk is it until the admin chooses another.
      if (firstWay) this.store.settings.set(EMERGENCY_TRUNK_SETTING, input.name);
    })();
  }

  /** Replaces a stored trunk's keys (its name stays; no password keeps the stored one). */
  replaceTrunk(input: TrunkInput): void {
    const cur = this.owned('trunk', input.name);
    const table = trunkTable(input);
    this.check({ ...cur, entry: table }, input.password);
    this.store.db.transaction(() => {
      this.store.outsideLine.replace(cur.id, table);
      if (input.password !== undefined) this.store.secrets.put(trunkSecretName(input.name), input.password);
    })();
  }

  /**
   * Changes the keys of a stored trunk that `patch` names, in place (PATCH /api/trunks/:name);
   * the others stay. A null clears an optional key (the default again); a password, when
   * given, is sealed (write-only: never answered). Checked as a whole, errors naming the field.
   * The running appliance, told, re-registers a changed registering trunk (TrunkService.update).
   */
  changeTrunk(name: string, patch: Omit<TrunkInput, 'name'>): void {
    const cur = this.owned('trunk', name);
    const given = trunkTable({ name, ...patch }, true);
    if (Object.keys(given).length === 1 && patch.password === undefined) throw new ValidationError('nothing to change: give at least one field', 'name');
    const table: Record<string, unknown> = { ...cur.entry };
    for (const [k, v] of Object.entries(given)) {
      if (v === null) delete table[k];
      else table[k] = v;
    }
    this.check({ ...cur, entry: table }, patch.password);
    this.store.db.transaction(() => {
      this.store.outsideLine.replace(cur.id, table);
      if (patch.password !== undefined) this.store.secrets.put(trunkSecretName(name), patch.password);
    })();
  }

  /** Sets a trunk's password (a stored trunk, or a config trunk whose file has none). */
  setTrunkPassword(name: string, password: string): void {
    const cfg = this.file.trunks.find((t) => t.name === name);
    if (cfg?.password) throw new ApplianceError('conflict', `trunk ${name} has its password in the config file: change it there`);
    const cur = cfg ? undefined : this.owned('trunk', name);
    if (cur) this.check(cur, password);
    else if (!/^[^\x00-\x1f\x7f]{1,128}$/.test(password)) throw new ValidationError('password: a password of 1 to 128 printable characters', 'password');
    this.store.secrets.put(trunkSecretName(name), password);
  }

  /** Removes a stored trunk: refused while a route, an inbound number or the emergency calls use it. */
  removeTrunk(name: string): void {
    const cur = this.owned('trunk', name);
    const line = this.view();
    const users = [
      ...line.routes.filter((r) => r.trunk === name || r.failover.includes(name)).map((r) => `route ${r.name}`),
      ...line.inbound.filter((i) => i.trunk === name).map((i) => `inbound number ${i.did}`),
    ];
    if (users.length > 0) throw new ApplianceError('conflict', `trunk ${name} is used by ${users.join(', ')}`);
    const others = line.trunks.filter((t) => t.name !== name);
    if (line.emergency.trunk === name && others.length > 0) throw new ApplianceError('conflict', `trunk ${name} is the emergency trunk: choose another one first`);
    this.store.db.transaction(() => {
      this.store.outsideLine.remove(cur.id);
      this.store.secrets.remove(trunkSecretName(name));
      if (this.store.settings.get(EMERGENCY_TRUNK_SETTING) === name) this.store.db.query('DELETE FROM settings WHERE key = ?').run(EMERGENCY_TRUNK_SETTING);
    })();
  }

  addRoute(input: RouteInput): void {
    const table = routeTable(input);
    this.check({ id: NEW, kind: 'route', name: input.name, entry: table });
    this.store.outsideLine.add('route', input.name, table);
  }

  replaceRoute(input: RouteInput): void {
    const cur = this.owned('route', input.name);
    const table = routeTable(input);
    this.check({ ...cur, entry: table });
    this.store.outsideLine.replace(cur.id, table);
  }

  removeRoute(name: string): void {
    this.store.outsideLine.remove(this.owned('route', name).id);
  }

  /** Adds an inbound number; its target must be an extension or a ring group that exists. Returns its id. */
  addInbound(input: InboundInput): number {
    const table = Object.fromEntries(Object.entries({ did: input.did, trunk: input.trunk, to: input.to }).filter(([, v]) => v !== undefined));
    this.check({ id: NEW, kind: 'inbound', name: null, entry: table });
    const to = String(input.to);
    if (!this.store.extensions.get(to) && !this.store.ringGroups.get(to)) throw new ValidationError(`to: ${to} is not an extension or a ring group`, 'to');
    return this.store.outsideLine.add('inbound', null, table).id;
  }

  removeInbound(id: number): void {
    const cur = this.store.outsideLine.get(id);
    if (!cur || cur.kind !== 'inbound') throw new ApplianceError('not-found', `inbound number #${id} is not one added here (the config file's are edited there)`);
    this.store.outsideLine.remove(id);
  }

  /** Chooses the trunk emergency calls leave by (when the config file names none). */
  setEmergencyTrunk(name: string): void {
    if (this.file.emergency.trunk !== undefined) throw new ApplianceError('conflict', `the emergency trunk is set in the config file ([emergency] trunk = "${this.file.emergency.trunk}"): change it there`);
    if (!this.view().trunks.some((t) => t.name === name)) throw new ValidationError(`trunk: names no trunk ("${name}")`, 'trunk');
    this.store.settings.set(EMERGENCY_TRUNK_SETTING, name);
  }

  private emergencyTrunk(): string | undefined {
    return this.view().emergency.trunk;
  }

  /** The stored entry of that name; a config entry or none is an error saying so. */
  private owned(kind: OutsideLineKind, name: string): OutsideLineEntry {
    const fromFile = kind === 'trunk' ? this.file.trunks.some((t) => t.name === name) : this.file.routes.some((r) => r.name === name);
    if (fromFile) throw new ApplianceError('conflict', `${kind} ${name} is from the config file: edit it there`);
    const cur = this.store.outsideLine.byName(kind, name);
    if (!cur) throw new ApplianceError('not-found', `${kind} ${name} does not exist`);
    return cur;
  }

  /** The outside line with `entry` in place (new or replacing its id), checked: its errors name its field. */
  private check(entry: Omit<OutsideLineEntry, 'createdAt' | 'updatedAt'>, password?: string): void {
    const stored = this.store.outsideLine.list().filter((e) => e.id !== entry.id);
    const candidate = { ...entry, entry: password !== undefined ? { ...entry.entry, password } : entry.entry, createdAt: 0, updatedAt: 0 };
    const src = storeSources(this.store);
    mergeOutsideLine(this.file, {
      entries: [...stored, candidate],
      // The structure is checked here, not who has a password yet (addTrunk asks for one;
      // a restored trunk waiting for its password still names a trunk routes may use).
      password: (t) => (t === entry.name && entry.kind === 'trunk' && password !== undefined ? password : src.password(t) ?? 'password-checked-elsewhere'),
      emergencyTrunk: src.emergencyTrunk ?? (entry.kind === 'trunk' ? entry.name ?? undefined : undefined),
    }, entry.id);
  }
}

/** `[[trunks]]` keys of an input; absent keys left out, null ones too (the parser's defaults) unless `keepNull` (a patch clearing them). */
function trunkTable(i: TrunkInput, keepNull = false): Record<string, unknown> {
  const all = {
    name: i.name, registrar: i.registrar, transport: i.transport, username: i.username, auth_username: i.authUsername,
    domain: i.domain, register: i.register, caller_id: i.callerId, keepalive: i.keepalive, tls_ca: i.tlsCa,
  };
  return keepNull ? Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) : compact(all);
}

function routeTable(i: RouteInput): Record<string, unknown> {
  return compact({ name: i.name, pattern: i.pattern, replace: i.replace, trunk: i.trunk, class: i.class, failover: i.failover && i.failover.length > 0 ? [...i.failover] : undefined });
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}
