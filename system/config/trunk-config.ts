import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { dialPattern } from './dial-pattern.ts';
import { bool, int, list, oneOf, str, table, type Field } from './fields.ts';

/** Transports a trunk's registrar is reached over (RFC 3261 §18; tls: §26). */
export type TrunkTransport = 'udp' | 'tcp' | 'tls';

/**
 * Call classes of the dial plan, from cheapest to most expensive (issue 14 permissions): the one
 * list (routes here, extensions' and ring groups' permissions in the store, the dial plan's order).
 */
export const CALL_CLASSES = ['internal', 'local', 'national', 'international', 'premium'] as const;
/** One of CALL_CLASSES. */
export type CallClass = typeof CALL_CLASSES[number];

/** `[[trunks]]`: one SIP provider account (the appliance is a UA towards it, RFC 3261 §10). */
export interface TrunkConfig {
  /** How routes and inbound numbers name it. */
  readonly name: string;
  /** The registrar's host (a name or an address, IPv6 without brackets). */
  readonly registrarHost: string;
  /** Explicit port, or undefined: RFC 3263 lookup (NAPTR/SRV/A) for a name, 5060/5061 for an address. */
  readonly registrarPort: number | undefined;
  readonly transport: TrunkTransport;
  /** The account: user part of the AOR we register (`sip:<username>@<domain>`). */
  readonly username: string;
  /**
   * The account password: from the config file (then also sealed into the store), else the
   * store's sealed secret (`trunk:<name>`), filled in by appliance/trunks/outside-line.ts;
   * '' as parsed when the config has none. Never logged, never in an API answer.
   */
  readonly password: string;
  /** Digest username (RFC 3261 §22.4); defaults to `username`. */
  readonly authUsername: string;
  /** From/To domain towards the provider; defaults to the registrar host. */
  readonly domain: string;
  /** Outbound REGISTER with digest (true) or an IP-authenticated trunk (false: state "static"). */
  readonly register: boolean;
  /** Default outgoing identity (P-Asserted-Identity / From), or undefined. */
  readonly callerId: string | undefined;
  /**
   * Seconds between OPTIONS keep-alives to the registrar while registered (as Kamailio's
   * dispatcher pings its gateways): no answer within 4 s marks the trunk failed at once,
   * instead of at the next refresh. 0: none.
   */
  readonly keepaliveS: number;
  /**
   * `tls_ca` (transport "tls" only): the PEM file of the CAs that sign the provider's
   * certificate (a provider with a private CA), trusted for this trunk instead of the system's;
   * undefined: the system CAs. The provider's certificate is always verified.
   */
  readonly tlsCaFile: string | undefined;
  /** The PEM text of `tlsCaFile`, read once here. */
  readonly tlsCa: string | undefined;
}

/** `[[routes]]`: an outbound route of the dial plan; first match wins. */
export interface RouteConfig {
  readonly name: string;
  /** The regular expression on the dialled user part, as written. */
  readonly pattern: string;
  /** Compiled once here (STYLE.md §9); the dial plan only runs it. */
  readonly regex: RegExp;
  /** What the provider receives: `pattern`'s match replaced with this (`$1` etc.). */
  readonly replace: string;
  readonly trunk: string;
  readonly class: CallClass;
  /** Further trunks tried in order on 503, no answer or a trunk down (`failover`: a name or a list); empty: none. */
  readonly failover: readonly string[];
}

/** `[[inbound]]`: which extension a number called on a trunk reaches. */
export interface InboundConfig {
  /** As written: an E.164 number, a regular expression, or "*". */
  readonly did: string;
  /** How `did` is matched: one number, a pattern, or any number on the trunk. */
  readonly match: { readonly kind: 'number'; readonly number: string } | { readonly kind: 'pattern'; readonly regex: RegExp } | { readonly kind: 'any' };
  readonly trunk: string;
  /** The target: an extension number. */
  readonly to: string;
}

/** The outside-line part of the configuration (issue 14). */
export interface TrunkSection {
  readonly trunks: readonly TrunkConfig[];
  readonly routes: readonly RouteConfig[];
  readonly inbound: readonly InboundConfig[];
}

const NAME = str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: 'a name of letters, digits, . _ -' });
/** host or host:port; IPv6 in brackets when a port follows ([::1]:5060). */
const REGISTRAR = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*))(?::(\d{1,5}))?$/;
/** An RFC 3261 §25.1 user part without escapes: what an account name may be. */
const SIP_USER = str({ pattern: /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64}$/, hint: 'a SIP user name' });
const E164 = /^\+[1-9][0-9]{1,14}$/;
const CALL_ID = str({ pattern: /^(\+?[0-9]{1,15}|[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64})$/, hint: 'a number (+E.164) or a SIP user name' });
/** Passwords are put into digest strings only; control characters would end a header line. */
const PASSWORD = str({ pattern: /^[^\x00-\x1f\x7f]{1,128}$/, hint: 'a password of 1 to 128 printable characters' });

/** A regular expression as a config value: it must compile and not backtrack catastrophically (dial-pattern.ts); the error names the key. */
const regex: Field<RegExp> = (v, key) => dialPattern(str()(v, key), key);

/** At most this many fail-over trunks per route (each one may cost a caller 4 s of silence). */
const MAX_FAILOVER = 3;

function parseRegistrar(v: unknown, key: string): { host: string; port: number | undefined } {
  const text = str()(v, key);
  const m = REGISTRAR.exec(text);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) throw new ConfigError(key, `${JSON.stringify(text)} is not host or host:port`);
  return { host: (m[1] ?? m[2]).toLowerCase(), port };
}

/**
 * One `[[trunks]]` table (exported for trunks an admin adds in the store: the same checks).
 * `passwordKnown`: the password is held elsewhere (the store), so `register = true` needs none here.
 */
export function parseTrunk(v: unknown, key: string, passwordKnown = false): TrunkConfig {
  const t = table(v, key, {
    name: NAME, registrar: str(), transport: oneOf<TrunkTransport>('udp', 'tcp', 'tls'), username: SIP_USER, password: optional(PASSWORD),
    auth_username: optional(SIP_USER), domain: optional(str({ pattern: /^[A-Za-z0-9.-]{1,253}$/, hint: 'a domain name' })), register: bool, caller_id: optional(CALL_ID),
    keepalive: int(0, 3600), tls_ca: optional(str({ pattern: /^\/\S(.*\S)?$/, hint: 'an absolute path of a PEM file' })),
  }, { transport: 'udp', auth_username: null, domain: null, register: true, caller_id: null, password: null, keepalive: 30, tls_ca: null });
  const registrar = parseRegistrar(t.registrar, subKey(key, 'registrar'));
  if (t.register && t.password === null && !passwordKnown) throw new ConfigError(subKey(key, 'password'), 'is required when register = true');
  if (t.tls_ca !== null && t.transport !== 'tls') throw new ConfigError(subKey(key, 'tls_ca'), `is only for transport = "tls" (this trunk's is "${t.transport}")`);
  const tlsCa = t.tls_ca === null ? undefined : readCaFile(t.tls_ca, subKey(key, 'tls_ca'));
  return {
    name: t.name, registrarHost: registrar.host, registrarPort: registrar.port, transport: t.transport,
    username: t.username, password: t.password ?? '', authUsername: t.auth_username ?? t.username,
    domain: (t.domain ?? registrar.host).toLowerCase(), register: t.register, callerId: t.caller_id ?? undefined, keepaliveS: t.keepalive,
    tlsCaFile: t.tls_ca ?? undefined, tlsCa,
  };
}

/** A PEM bundle of CA certificates, read now: a missing or wrong file is an error naming the key. */
function readCaFile(path: string, key: string): string {
  if (!isAbsolute(path)) throw new ConfigError(key, `"${path}" is not an absolute path`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `"${path}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!/-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/.test(text)) throw new ConfigError(key, `"${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return text;
}

/** `key.k`, or `k` for an entry validated on its own (an admin's: the error names the field). */
const subKey = (key: string, k: string) => (key ? `${key}.${k}` : k);

/** `null` defaults let `table` accept an absent optional key; a given one is still validated. */
const optional = <T>(f: Field<T>): Field<T | null> => (v, key) => (v === null ? null : f(v, key));

/**
 * Validates `[[trunks]]`, `[[routes]]` and `[[inbound]]` (issue 14): names unique, every trunk
 * a route or inbound number names exists, patterns compile (the error names e.g.
 * `routes[2].pattern`); a trunk's transport must be one of `[sip] transports`. Absent tables: no outside line.
 */
export function parseTrunkSection(raw: { trunks?: unknown; routes?: unknown; inbound?: unknown }, transports: readonly TrunkTransport[] = ['udp', 'tcp', 'tls']): TrunkSection {
  // A password may be kept in the store instead (sealed): the merged outside line checks (appliance/trunks/outside-line.ts).
  const trunks = list((v, key) => parseTrunk(v, key, true))(raw.trunks ?? [], 'trunks');
  trunks.forEach((t, i) => {
    // The REGISTERs leave through our own transports: a trunk over TLS needs "tls" there.
    if (!transports.includes(t.transport)) throw new ConfigError(`trunks[${i}].transport`, `"${t.transport}" is not in sip.transports (${transports.join(', ')})`);
  });
  const names = new Set<string>();
  trunks.forEach((t, i) => {
    if (names.has(t.name)) throw new ConfigError(`trunks[${i}].name`, `"${t.name}" is used by another trunk`);
    names.add(t.name);
  });
  const routes = list((v, key) => parseRoute(v, key, names))(raw.routes ?? [], 'routes');
  const routeNames = new Set<string>();
  routes.forEach((r, i) => {
    if (routeNames.has(r.name)) throw new ConfigError(`routes[${i}].name`, `"${r.name}" is used by another route`);
    routeNames.add(r.name);
  });
  const inbound = list((v, key) => parseInbound(v, key, names))(raw.inbound ?? [], 'inbound');
  return { trunks, routes, inbound };
}

/** A field naming one of `names` (a trunk); the error lists the trunks there are. */
function trunkRef(names: ReadonlySet<string>): Field<string> {
  return (v, key) => {
    const name = str()(v, key);
    if (!names.has(name)) throw new ConfigError(key, `names no trunk ("${name}"; trunks: ${[...names].map((n) => `"${n}"`).join(', ') || 'none'})`);
    return name;
  };
}

/** `failover`: one trunk name or a list of them, none the route's own, none twice. */
function failoverList(names: ReadonlySet<string>): Field<string[]> {
  return (v, key) => {
    const given = typeof v === 'string' ? [trunkRef(names)(v, key)] : list(trunkRef(names))(v, key);
    if (given.length > MAX_FAILOVER) throw new ConfigError(key, `names ${given.length} trunks; at most ${MAX_FAILOVER}`);
    given.forEach((n, i) => {
      if (given.indexOf(n) !== i) throw new ConfigError(key, `names trunk "${n}" twice`);
    });
    return given;
  };
}

/** One `[[routes]]` table; `names`: the trunks it may name (exported for routes an admin adds in the store). */
export function parseRoute(v: unknown, key: string, names: ReadonlySet<string>): RouteConfig {
  const r = table(v, key, {
    name: NAME, pattern: regex, replace: str({ pattern: /^[^\s]{1,64}$/, hint: 'a replacement without spaces' }), trunk: trunkRef(names),
    class: oneOf<CallClass>(...CALL_CLASSES), failover: optional(failoverList(names)),
  }, { failover: null, replace: '$&' });
  if (r.failover?.includes(r.trunk)) throw new ConfigError(subKey(key, 'failover'), 'names the route\'s own trunk');
  return { name: r.name, pattern: r.pattern.source, regex: r.pattern, replace: r.replace, trunk: r.trunk, class: r.class, failover: r.failover ?? [] };
}

/** One `[[inbound]]` table; `names`: the trunks it may name (exported for numbers an admin adds in the store). */
export function parseInbound(v: unknown, key: string, names: ReadonlySet<string>): InboundConfig {
  const r = table(v, key, { did: str(), trunk: trunkRef(names), to: str({ pattern: /^[0-9]{2,15}$/, hint: 'an extension number' }) }, {});
  return { did: r.did, match: didMatch(r.did, subKey(key, 'did')), trunk: r.trunk, to: r.to };
}

/** `did`: "*", an E.164 number, or else a regular expression that must compile. */
function didMatch(did: string, key: string): InboundConfig['match'] {
  if (did === '*') return { kind: 'any' };
  if (E164.test(did)) return { kind: 'number', number: did };
  if (/^\+?[0-9]+$/.test(did)) throw new ConfigError(key, `"${did}" is not an E.164 number (+ and 2 to 15 digits)`);
  return { kind: 'pattern', regex: regex(did, key) };
}

/** `[emergency] trunk`, checked against the trunks: required once trunks exist, must name one. */
export function emergencyTrunk(given: string | undefined, trunks: readonly TrunkConfig[]): string | undefined {
  if (trunks.length === 0) {
    if (given !== undefined) throw new ConfigError('emergency.trunk', `names trunk "${given}" but no [[trunks]] are configured`);
    return undefined;
  }
  if (given === undefined) throw new ConfigError('emergency.trunk', 'is required when [[trunks]] are configured: emergency calls must have a way out');
  if (!trunks.some((t) => t.name === given)) throw new ConfigError('emergency.trunk', `names no trunk ("${given}")`);
  return given;
}
