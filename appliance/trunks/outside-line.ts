import type { ApplianceConfig, EmergencyConfig } from '../../system/config/index.ts';
import { parseInbound, parseRoute, parseTrunk, type InboundConfig, type RouteConfig, type TrunkConfig } from '../../system/config/trunk-config.ts';
import { ApplianceError, ConfigError, ValidationError } from '../../system/errors/index.ts';
import type { OutsideLineEntry, Store } from '../../system/store/index.ts';

/** Where an entry of the outside line comes from: fixed in the config file, or the store's (editable) with its id. */
export type Origin = { readonly from: 'config' } | { readonly from: 'store'; readonly id: number };

/**
 * The outside line the appliance runs with (issue 14): the config file's `[[trunks]]`,
 * `[[routes]]` and `[[inbound]]` first, then what the admin added in the UI or CLI (the
 * store), as one validated view. The ownership rule: an entry from the config file is fixed
 * (shown "from config"; edited in the file); an entry added in the UI/CLI lives in the store
 * and is editable there; names are unique across both. Routes: the config's first, then the
 * store's in the order they were added (first match wins).
 */
export interface OutsideLine {
  readonly trunks: readonly TrunkConfig[];
  readonly routes: readonly RouteConfig[];
  readonly inbound: readonly InboundConfig[];
  /** `[emergency] numbers`; the trunk: the config's, else the one the admin chose (setting `emergency.trunk`). */
  readonly emergency: EmergencyConfig;
  readonly origins: {
    readonly trunks: ReadonlyMap<string, Origin>;
    readonly routes: ReadonlyMap<string, Origin>;
    /** Per entry of `inbound`, same index. */
    readonly inbound: readonly Origin[];
  };
  /** Store entries that no longer fit (the config file took their name, their trunk is gone...): left out, with why. */
  readonly skipped: readonly { readonly id: number; readonly kind: string; readonly name: string | null; readonly reason: string }[];
}

/** The sealed secret holding a trunk's password. */
export const trunkSecretName = (trunk: string) => `trunk:${trunk}`;
/** The setting naming the emergency trunk when the config file names none. */
export const EMERGENCY_TRUNK_SETTING = 'emergency.trunk';

/** What the merge reads besides the config. */
export interface OutsideLineSources {
  readonly entries: readonly OutsideLineEntry[];
  /** A trunk's stored password, or undefined. */
  readonly password: (trunk: string) => string | undefined;
  /** The emergency trunk the admin chose, or undefined. */
  readonly emergencyTrunk: string | undefined;
}

type FileLine = Pick<ApplianceConfig, 'trunks' | 'routes' | 'inbound' | 'emergency'> & { readonly sip: Pick<ApplianceConfig['sip'], 'transports'> };

/**
 * Merges the config's outside line with the store's entries (pure). The config's must hold
 * (a registering trunk without a password anywhere is a ConfigError naming
 * `trunks[i].password`); a store entry that fails is skipped (`skipped`), except the one
 * with id `check` (an admin's change being checked): its failure is a ValidationError naming
 * its field, and then the emergency calls must have a trunk.
 */
export function mergeOutsideLine(file: FileLine, src: OutsideLineSources, check?: number): OutsideLine {
  const strict = check !== undefined;
  const skipped: { id: number; kind: string; name: string | null; reason: string }[] = [];
  const fail = (e: OutsideLineEntry, err: unknown) => {
    if (e.id === check) throw asValidation(err);
    skipped.push({ id: e.id, kind: e.kind, name: e.name, reason: (err as Error).message });
  };
  const trunks: TrunkConfig[] = file.trunks.map((t, i) => {
    if (t.password) return t;
    const stored = src.password(t.name);
    if (t.register && !stored) throw new ConfigError(`trunks[${i}].password`, `is required when register = true (in the config file, or stored: trunk password ${t.name})`);
    return { ...t, password: stored ?? '' };
  });
  const trunkOrigins = new Map<string, Origin>(trunks.map((t) => [t.name, { from: 'config' }]));
  for (const e of src.entries.filter((x) => x.kind === 'trunk')) {
    try {
      const t = parseTrunk(e.entry, '', true);
      if (trunkOrigins.has(t.name)) throw new ValidationError(`name: "${t.name}" is used by another trunk`, 'name');
      if (!file.sip.transports.includes(t.transport)) throw new ValidationError(`transport: "${t.transport}" is not in sip.transports (${file.sip.transports.join(', ')})`, 'transport');
      const password = src.password(t.name);
      if (t.register && !password) throw new ValidationError('password: is required when register = true', 'password');
      trunks.push({ ...t, password: password ?? '' });
      trunkOrigins.set(t.name, { from: 'store', id: e.id });
    } catch (err) {
      fail(e, err);
    }
  }
  const names = new Set(trunkOrigins.keys());
  const routes = [...file.routes];
  const routeOrigins = new Map<string, Origin>(routes.map((r) => [r.name, { from: 'config' }]));
  for (const e of src.entries.filter((x) => x.kind === 'route')) {
    try {
      const r = parseRoute(e.entry, '', names);
      if (routeOrigins.has(r.name)) throw new ValidationError(`name: "${r.name}" is used by another route`, 'name');
      routes.push(r);
      routeOrigins.set(r.name, { from: 'store', id: e.id });
    } catch (err) {
      fail(e, err);
    }
  }
  const inbound = [...file.inbound];
  const inboundOrigins: Origin[] = inbound.map(() => ({ from: 'config' }));
  for (const e of src.entries.filter((x) => x.kind === 'inbound')) {
    try {
      inbound.push(parseInbound(e.entry, '', names));
      inboundOrigins.push({ from: 'store', id: e.id });
    } catch (err) {
      fail(e, err);
    }
  }
  const chosen = src.emergencyTrunk !== undefined && names.has(src.emergencyTrunk) ? src.emergencyTrunk : undefined;
  const emergencyTrunk = file.emergency.trunk ?? chosen;
  // A chosen trunk that is left out for now (a restored trunk waiting for its password) still counts as chosen.
  if (strict && trunks.length > 0 && emergencyTrunk === undefined && src.emergencyTrunk === undefined) throw new ValidationError('emergency: choose the trunk emergency calls leave by', 'emergency');
  return {
    trunks, routes, inbound, emergency: { numbers: file.emergency.numbers, trunk: emergencyTrunk },
    origins: { trunks: trunkOrigins, routes: routeOrigins, inbound: inboundOrigins }, skipped,
  };
}

/** The sources of the merge from a store. */
export function storeSources(store: Store): OutsideLineSources {
  return {
    entries: store.outsideLine.list(),
    password: (t) => store.secrets.get(trunkSecretName(t)),
    emergencyTrunk: store.settings.get(EMERGENCY_TRUNK_SETTING),
  };
}

/** The outside line of this config and store (the edge: reads the store and the secrets key). */
export function loadOutsideLine(config: FileLine, store: Store): OutsideLine {
  return mergeOutsideLine(config, storeSources(store));
}

/**
 * The config's trunk passwords sealed into the store (at start, in the control section):
 * the store then holds every trunk secret, and the config file may drop its `password`
 * lines. Returns the trunks whose stored password changed.
 */
export function importConfigPasswords(config: Pick<ApplianceConfig, 'trunks'>, store: Store): string[] {
  return config.trunks.filter((t) => t.password && store.secrets.put(trunkSecretName(t.name), t.password)).map((t) => t.name);
}

/** A config parser's error for an admin's entry: the field it names, without the "config:" prefix. */
function asValidation(err: unknown): ApplianceError {
  // The field as the API names it (auth_username → authUsername); the message keeps the config key.
  if (err instanceof ConfigError) return new ValidationError(err.message.replace(/^config: /, ''), err.key.replace(/\[\d+\]$/, '').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  return err instanceof ApplianceError ? err : new ValidationError(String((err as Error).message ?? err));
}
