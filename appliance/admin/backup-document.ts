import { ValidationError } from '../../system/errors/index.ts';
import type { PermissionInput } from './outside-call-permissions.ts';
import { exportOutsideLine, parseOutsideLine, type BackupOutsideLine } from './backup-outside-line.ts';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { DIGEST_POLICIES, type CallFeatures, type DigestPolicy, type Store } from '../../system/store/index.ts';

/**
 * The backup document: the configuration an admin makes (extensions, admin DNS records) as
 * JSON, versioned. What is never in it: registrations and the event log (live state), the
 * peers and their secrets, the nonce secret, the admin password hash, the control token
 * (secrets of this appliance, set on each box). Extension HA1 hashes are password-equivalent
 * (RFC 2617 §3.2.2.2): they are in a backup only when it is encrypted (backup-crypto.ts).
 *
 * Parsing here checks the shape only (known sections and fields, types, sizes); the values go
 * through the CLI/API validators when the document is applied (backup-restore.ts).
 */
export const BACKUP_FORMAT = 'office-sip-appliance-backup';
export const BACKUP_VERSION = 1;
/** Rows per section at most. */
const MAX_ROWS = 100_000;

/** One extension in a backup; the HA1 fields only in an encrypted one. */
export interface BackupExtension {
  readonly number: string;
  readonly displayName: string;
  readonly e164: string | null;
  /** The digest policy (absent in backups made before it existed: `default`). */
  readonly digest?: DigestPolicy;
  /** Outside-call permissions (absent in older backups: the defaults). */
  readonly permissions?: PermissionInput;
  readonly realm?: string;
  readonly ha1Md5?: string;
  readonly ha1Sha256?: string;
}

/** One admin DNS record in a backup; `name` is absolute. */
export interface BackupDnsRecord {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly ttl: number | null;
}

/** One ring group in a backup (issue 15; absent in older backups). */
export interface BackupRingGroup {
  readonly number: string;
  readonly name: string;
  readonly strategy: string;
  readonly members: readonly string[];
  readonly ringSeconds: number;
  readonly timeoutSeconds: number;
  readonly fallback: string | null;
  /** Its outside members' permissions (absent in backups made before they existed: the defaults). */
  readonly callClass?: string;
  readonly maxOutsideCalls?: number;
  readonly outsideCallsPerHour?: number;
}

/** One extension's forwarding and do-not-disturb in a backup (issue 15): the store's record as it is. */
export type BackupCallFeatures = CallFeatures;

export interface BackupDocument {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  /** Name of the appliance that made it, and its SIP domain (the digest realm of the HA1s). */
  readonly appliance: string;
  readonly domain: string;
  /** True when the extensions carry their HA1 hashes (encrypted backups only). */
  readonly secrets: boolean;
  readonly extensions: readonly BackupExtension[];
  readonly dnsRecords: readonly BackupDnsRecord[];
  readonly ringGroups: readonly BackupRingGroup[];
  readonly callFeatures: readonly BackupCallFeatures[];
  /** Trunks, routes and inbound numbers added in the store (backup-outside-line.ts); older backups: none. */
  readonly outsideLine: BackupOutsideLine;
}

/** The configuration in the store as a backup document; HA1 hashes only with `secrets`. */
export function exportConfiguration(store: Store, config: ApplianceConfig, secrets: boolean, now = new Date()): BackupDocument {
  return {
    format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(), appliance: config.name, domain: config.sip.domain, secrets,
    extensions: store.extensions.list().map((e) => ({
      number: e.number, displayName: e.displayName, e164: e.e164, digest: e.digest,
      permissions: { callClass: e.callClass, maxOutsideCalls: e.maxOutsideCalls, outsideCallsPerHour: e.outsideCallsPerHour, outboundCallerId: e.outboundCallerId },
      ...(secrets ? { realm: e.realm, ha1Md5: e.ha1Md5, ha1Sha256: e.ha1Sha256 } : {}),
    })),
    dnsRecords: store.dnsRecords.list().map((r) => ({ name: r.name, type: r.type, value: r.value, ttl: r.ttl })),
    ringGroups: store.ringGroups.list().map((g) => ({
      number: g.number, name: g.name, strategy: g.strategy, members: g.members, ringSeconds: g.ringSeconds, timeoutSeconds: g.timeoutSeconds, fallback: g.fallback,
      callClass: g.callClass, maxOutsideCalls: g.maxOutsideCalls, outsideCallsPerHour: g.outsideCallsPerHour,
    })),
    callFeatures: store.callFeatures.list().map((f) => ({
      extension: f.extension, dnd: f.dnd, forwardAlways: f.forwardAlways, forwardBusy: f.forwardBusy,
      forwardNoAnswer: f.forwardNoAnswer, noAnswerSeconds: f.noAnswerSeconds, forwardUnreachable: f.forwardUnreachable,
      voicemailUri: f.voicemailUri,
    })),
    outsideLine: exportOutsideLine(store, secrets),
  };
}

const TOP_FIELDS = ['format', 'version', 'createdAt', 'appliance', 'domain', 'secrets', 'extensions', 'dnsRecords', 'ringGroups', 'callFeatures', 'outsideLine'];
const GROUP_FIELDS = ['number', 'name', 'strategy', 'members', 'ringSeconds', 'timeoutSeconds', 'fallback', 'callClass', 'maxOutsideCalls', 'outsideCallsPerHour'];
const FEATURE_FIELDS = ['extension', 'dnd', 'forwardAlways', 'forwardBusy', 'forwardNoAnswer', 'noAnswerSeconds', 'forwardUnreachable', 'voicemailUri'];
const EXTENSION_FIELDS = ['number', 'displayName', 'e164', 'digest', 'permissions'];
const PERMISSION_FIELDS = ['callClass', 'maxOutsideCalls', 'outsideCallsPerHour', 'outboundCallerId'];
const SECRET_FIELDS = ['realm', 'ha1Md5', 'ha1Sha256'];
const DNS_FIELDS = ['name', 'type', 'value', 'ttl'];

/** Sections a restore never applies: named so the rejection says why. */
const NEVER_RESTORED: Record<string, string> = {
  peers: 'peer appliances and their secrets are configured on each appliance',
  settings: 'settings hold this appliance\'s secrets (nonce secret, admin password)',
  registrations: 'registrations are live state',
  events: 'the event log is history',
};

const reject = (message: string) => new ValidationError(`backup rejected, nothing was changed: ${message}`, 'file');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The permissions object of an extension row: shape checked here, values by checkPermissions at restore. */
function permissionsOf(v: unknown, where: string): { permissions?: PermissionInput } {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw reject(`${where}: "permissions" must be an object`);
  const p = v as Record<string, unknown>;
  onlyFields(p, PERMISSION_FIELDS, `${where} permissions`);
  for (const [k, type] of [['callClass', 'string'], ['maxOutsideCalls', 'number'], ['outsideCallsPerHour', 'number'], ['outboundCallerId', 'string']] as const) {
    if (p[k] !== undefined && p[k] !== null && typeof p[k] !== type) throw reject(`${where}: "${k}" must be a ${type}`);
  }
  return { permissions: p as PermissionInput };
}

function onlyFields(row: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(row)) if (!allowed.includes(k)) throw reject(`${where}: unknown field "${k.slice(0, 40)}"`);
}

function text(row: Record<string, unknown>, key: string, where: string, max = 1024): string {
  const v = row[key];
  if (typeof v !== 'string') throw reject(`${where}: "${key}" must be a string`);
  if (v.length > max) throw reject(`${where}: "${key}" is longer than ${max} characters`);
  return v;
}

function whole(row: Record<string, unknown>, key: string, where: string): number {
  const v = row[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw reject(`${where}: "${key}" must be a whole number`);
  return v;
}

function rows(doc: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = doc[key];
  if (!Array.isArray(v)) throw reject(`"${key}" must be a list`);
  if (v.length > MAX_ROWS) throw reject(`"${key}" has more than ${MAX_ROWS} rows`);
  return v.map((r, i) => {
    if (!isObject(r)) throw reject(`${key}[${i}] is not an object`);
    return r;
  });
}

/**
 * Parses and shape-checks a backup document from JSON text; every problem names its row.
 * `encrypted` says whether it came out of an envelope: only then may it carry HA1 hashes.
 */
export function parseBackupDocument(json: string, encrypted: boolean): BackupDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw reject(`not a backup file (${(err as Error).message})`);
  }
  if (!isObject(raw) || raw.format !== BACKUP_FORMAT) throw reject('not an appliance backup (no "format" marker)');
  for (const k of Object.keys(raw)) {
    if (k in NEVER_RESTORED) throw reject(`it has a "${k}" section, which a restore never applies: ${NEVER_RESTORED[k]}`);
    if (!TOP_FIELDS.includes(k)) throw reject(`unknown section "${k.slice(0, 40)}"`);
  }
  if (raw.version !== BACKUP_VERSION) {
    throw reject(typeof raw.version === 'number' && raw.version > BACKUP_VERSION
      ? `the backup comes from newer software (format ${raw.version}, this appliance knows ${BACKUP_VERSION})`
      : `unknown backup format version ${JSON.stringify(raw.version)}`);
  }
  if (typeof raw.secrets !== 'boolean') throw reject('"secrets" must be true or false');
  const secrets = raw.secrets;
  if (secrets && !encrypted) throw reject('a backup that carries password hashes must be encrypted');
  const extensions = rows(raw, 'extensions').map((r, i): BackupExtension => {
    const where = `extension ${i + 1}`;
    if (!secrets && SECRET_FIELDS.some((k) => k in r)) throw reject(`${where}: a backup without encryption never carries password hashes`);
    onlyFields(r, secrets ? [...EXTENSION_FIELDS, ...SECRET_FIELDS] : EXTENSION_FIELDS, where);
    const e164 = r.e164 === null || r.e164 === undefined ? null : text(r, 'e164', where, 32);
    const digest = r.digest === undefined ? 'default' : text(r, 'digest', where, 16);
    if (!(DIGEST_POLICIES as readonly string[]).includes(digest)) throw reject(`${where}: "digest" must be one of ${DIGEST_POLICIES.join(', ')}`);
    const base = {
      number: text(r, 'number', where, 32), displayName: r.displayName === undefined ? '' : text(r, 'displayName', where, 200), e164,
      digest: digest as DigestPolicy, ...permissionsOf(r.permissions, where),
    };
    if (!secrets) return base;
    return { ...base, realm: text(r, 'realm', where, 253), ha1Md5: text(r, 'ha1Md5', where, 64), ha1Sha256: text(r, 'ha1Sha256', where, 64) };
  });
  const dnsRecords = rows(raw, 'dnsRecords').map((r, i): BackupDnsRecord => {
    const where = `DNS record ${i + 1}`;
    onlyFields(r, DNS_FIELDS, where);
    const ttl = r.ttl ?? null;
    if (ttl !== null && typeof ttl !== 'number') throw reject(`${where}: "ttl" must be a number or null`);
    return { name: text(r, 'name', where, 255), type: text(r, 'type', where, 16), value: text(r, 'value', where, 4096), ttl };
  });
  const ringGroups = raw.ringGroups === undefined ? [] : rows(raw, 'ringGroups').map((r, i): BackupRingGroup => {
    const where = `ring group ${i + 1}`;
    onlyFields(r, GROUP_FIELDS, where);
    if (!Array.isArray(r.members) || r.members.length > 32 || r.members.some((m) => typeof m !== 'string' || m.length > 16)) throw reject(`${where}: "members" must be a list of at most 32 numbers`);
    return {
      number: text(r, 'number', where, 16), name: r.name === undefined ? '' : text(r, 'name', where, 200), strategy: text(r, 'strategy', where, 16),
      members: r.members as string[], ringSeconds: whole(r, 'ringSeconds', where), timeoutSeconds: whole(r, 'timeoutSeconds', where),
      fallback: r.fallback === null || r.fallback === undefined ? null : text(r, 'fallback', where, 16),
      ...(r.callClass !== undefined ? { callClass: text(r, 'callClass', where, 16) } : {}),
      ...(r.maxOutsideCalls !== undefined ? { maxOutsideCalls: whole(r, 'maxOutsideCalls', where) } : {}),
      ...(r.outsideCallsPerHour !== undefined ? { outsideCallsPerHour: whole(r, 'outsideCallsPerHour', where) } : {}),
    };
  });
  const callFeatures = raw.callFeatures === undefined ? [] : rows(raw, 'callFeatures').map((r, i): BackupCallFeatures => {
    const where = `call features ${i + 1}`;
    onlyFields(r, FEATURE_FIELDS, where);
    if (typeof r.dnd !== 'boolean') throw reject(`${where}: "dnd" must be true or false`);
    const target = (k: string) => (r[k] === null || r[k] === undefined ? null : text(r, k, where, 16));
    return {
      extension: text(r, 'extension', where, 16), dnd: r.dnd, forwardAlways: target('forwardAlways'), forwardBusy: target('forwardBusy'),
      forwardNoAnswer: target('forwardNoAnswer'), noAnswerSeconds: whole(r, 'noAnswerSeconds', where), forwardUnreachable: target('forwardUnreachable'),
      voicemailUri: r.voicemailUri === null || r.voicemailUri === undefined ? null : text(r, 'voicemailUri', where, 200),
    };
  });
  return {
    ringGroups, callFeatures, outsideLine: parseOutsideLine(raw.outsideLine, secrets),
    format: BACKUP_FORMAT, version: BACKUP_VERSION,
    createdAt: typeof raw.createdAt === 'string' ? raw.createdAt.slice(0, 40) : '',
    appliance: typeof raw.appliance === 'string' ? raw.appliance.slice(0, 64) : '',
    domain: typeof raw.domain === 'string' ? raw.domain.slice(0, 253) : '',
    secrets, extensions, dnsRecords,
  };
}
