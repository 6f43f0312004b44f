import { ValidationError } from '../../system/errors/index.ts';
import { REPLICATED_KINDS, type ReplicatedKind, type ReplicatedRow } from '../../system/store/index.ts';
import { checkDigestPolicy, checkE164, checkNotEmergency, checkNumber, cleanName } from '../admin/extension-service.ts';
import { checkPermissions } from '../admin/outside-call-permissions.ts';
import type { ServedZones } from '../dns/zones.ts';
import { groupSettingOf, TABLE_CHECKS, type TableRules } from './config-rows-tables.ts';
import { checkPolicyBatch, type PolicyInForce } from './config-rows-policy.ts';

/** What a replicated configuration row must satisfy here. */
export interface ConfigRowRules {
  /** Names a version may carry: this appliance and its peers ('' for rows from before migration 12). */
  readonly origins: ReadonlySet<string>;
  /** Our SIP domain: an extension's HA1 hashes are over it, so a row for another realm cannot authenticate here. */
  readonly realm: string;
  readonly emergencyNumbers: readonly string[];
  /** How far ahead of our clock a version may be (a far-future version would win every conflict forever). */
  readonly maxAheadMs: number;
  /** The zones our DNS function serves (a replicated DNS record must lie in them). */
  readonly zones: ServedZones;
  /** The policy settings here, for the check of policy rows taken together (samples within their window). */
  readonly policy?: PolicyInForce;
}

/** Opens a trunk's password sealed for the link a batch came by (config-secrets.ts). */
export type OpenPassword = (trunk: string, sealed: string) => string;
const NO_PASSWORDS: OpenPassword = () => {
  throw new Error('no key to open a trunk password with');
};

/** Most rows in one request (a full sync is sent in batches of this size). */
export const CONFIG_BATCH = 500;

/** The verdict on a batch: the rows to apply, and why each refused one was refused (by key). */
export interface ConfigRowsVerdict {
  readonly accepted: ReplicatedRow[];
  readonly rejected: { readonly key: string; readonly reason: string }[];
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const EXTENSION_FIELDS = new Set(['number', 'displayName', 'realm', 'ha1Md5', 'ha1Sha256', 'e164', 'digest', 'callClass',
  'maxOutsideCalls', 'outsideCallsPerHour', 'outboundCallerId']);

/**
 * Checks rows a peer sent (pure): shape, version (a known origin, not from the future), and
 * every field of the row as the admin's own input is checked (extensions here, the other
 * tables in config-rows-tables.ts), so a member can push nothing the API here would refuse;
 * a row for a setting that is this appliance's own is refused. The row is rebuilt from
 * checked fields only.
 */
export function checkConfigRows(body: unknown, rules: ConfigRowRules, now: number, openPassword: OpenPassword = NO_PASSWORDS): ConfigRowsVerdict {
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new ValidationError('rows must be a list', 'rows');
  if (rows.length > CONFIG_BATCH) throw new ValidationError(`at most ${CONFIG_BATCH} rows in one request`, 'rows');
  const accepted: ReplicatedRow[] = [];
  const rejected: { key: string; reason: string }[] = [];
  for (const raw of rows) {
    const key = typeof raw?.key === 'string' ? raw.key.slice(0, 40) : '?';
    try {
      accepted.push(checkRow(raw, rules, now, openPassword));
    } catch (err) {
      rejected.push({ key, reason: (err as Error).message.slice(0, 200) });
    }
  }
  return rules.policy ? checkPolicyBatch(accepted, rejected, rules.policy) : { accepted, rejected };
}

function checkRow(raw: any, rules: ConfigRowRules, now: number, openPassword: OpenPassword): ReplicatedRow {
  if (raw === null || typeof raw !== 'object') throw new Error('a row must be an object');
  if (!(REPLICATED_KINDS as readonly unknown[]).includes(raw.kind)) throw new Error('unknown kind');
  const kind = raw.kind as ReplicatedKind;
  if (typeof raw.key !== 'string' || raw.key.length === 0 || raw.key.length > 2400) throw new Error('key must be a string');
  if (kind === 'extension') checkNumber(raw.key);
  if (!Number.isSafeInteger(raw.t) || raw.t <= 0) throw new Error('t must be a positive integer');
  if (raw.t > now + rules.maxAheadMs) throw new Error('version is in the future');
  if (typeof raw.origin !== 'string' || !rules.origins.has(raw.origin)) throw new Error('origin is not a member of this group');
  if (typeof raw.deleted !== 'boolean') throw new Error('deleted must be true or false');
  const base = { kind, key: raw.key, t: raw.t, origin: raw.origin };
  if (kind !== 'extension') {
    const d = raw.data;
    // A tombstone's key is checked like a row's (a removal of a per-appliance setting is refused too).
    if (!raw.deleted && (d === null || typeof d !== 'object' || Array.isArray(d))) throw new Error('data must be an object');
    const tableRules: TableRules = { emergencyNumbers: rules.emergencyNumbers, zones: rules.zones, openPassword };
    if (raw.deleted) {
      checkKey(kind, raw.key, tableRules);
      return { ...base, deleted: true };
    }
    return { ...base, deleted: false, data: TABLE_CHECKS[kind](raw.key, d, tableRules) };
  }
  if (raw.deleted) return { ...base, deleted: true };
  const d = raw.data;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new Error('data must be an object');
  for (const f of Object.keys(d)) if (!EXTENSION_FIELDS.has(f)) throw new Error(`unknown field ${f.slice(0, 40)}`);
  if (d.number !== raw.key) throw new Error('number does not match the key');
  checkNotEmergency(raw.key, rules.emergencyNumbers);
  if (d.realm !== rules.realm) throw new Error('realm is not our SIP domain');
  if (typeof d.ha1Md5 !== 'string' || !HEX32.test(d.ha1Md5)) throw new Error('ha1Md5 must be 32 hex digits');
  if (typeof d.ha1Sha256 !== 'string' || !HEX64.test(d.ha1Sha256)) throw new Error('ha1Sha256 must be 64 hex digits');
  if (typeof d.displayName !== 'string') throw new Error('displayName must be a string');
  const displayName = cleanName(d.displayName);
  if (d.e164 !== null) {
    if (typeof d.e164 !== 'string') throw new Error('e164 must be a string or null');
    checkE164(d.e164);
  }
  if (typeof d.digest !== 'string') throw new Error('digest must be a string');
  const perms = checkPermissions({ callClass: d.callClass, maxOutsideCalls: d.maxOutsideCalls, outsideCallsPerHour: d.outsideCallsPerHour, outboundCallerId: d.outboundCallerId });
  if (perms.callClass === undefined || perms.maxOutsideCalls === undefined || perms.outsideCallsPerHour === undefined) throw new Error('call class and limits are required');
  return {
    ...base, deleted: false,
    data: {
      number: raw.key, displayName, realm: rules.realm, ha1Md5: d.ha1Md5, ha1Sha256: d.ha1Sha256, e164: d.e164,
      digest: checkDigestPolicy(d.digest), callClass: perms.callClass, maxOutsideCalls: perms.maxOutsideCalls,
      outsideCallsPerHour: perms.outsideCallsPerHour, outboundCallerId: perms.outboundCallerId ?? null,
    },
  };
}

/** The key of a tombstone, checked as its row's would be (the data check of a sample row of that key). */
function checkKey(kind: Exclude<ReplicatedKind, 'extension'>, key: string, rules: TableRules): void {
  if (kind === 'setting') {
    groupSettingOf(key);
  } else if (kind === 'dns-record') {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts) || parts.length !== 3 || !parts.every((p) => typeof p === 'string')) throw new Error('key must be [name, type, value]');
  } else if (kind === 'ring-group' || kind === 'call-features') {
    if (!/^[0-9]{2,10}$/.test(key)) throw new Error('key must be a number');
  } else if (kind === 'inbound' ? !/^[\x20-\x7e]{1,200}$/.test(key) : !/^[A-Za-z0-9._-]{1,64}$/.test(key)) {
    throw new Error('key is not a name');
  }
}
