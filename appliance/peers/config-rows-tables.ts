import { ValidationError } from '../../system/errors/index.ts';
import { parseInbound, parseRoute, parseTrunk } from '../../system/config/trunk-config.ts';
import { GROUP_POLICY_KEYS, policyValue, type PolicyKey } from '../../system/config/policy-rules.ts';
import { EXTENSION_CALL_CLASSES, GROUP_OUTSIDE_DEFAULTS, GROUP_SETTINGS, POLICY_SETTING_PREFIX, RING_STRATEGIES } from '../../system/store/index.ts';
import { voicemailUriRefusal } from '../admin/voicemail-uri-check.ts';
import { checkNotEmergency, checkNumber, cleanName } from '../admin/extension-service.ts';
import { checkGroupNumber } from '../admin/ring-group-service.ts';
import { validateRecord } from '../dns/record-input.ts';
import type { ServedZones } from '../dns/zones.ts';
import { VOICEMAIL } from '../sip/proxy/call-plan.ts';

/** What the checks of the tables other than extensions read. */
export interface TableRules {
  readonly emergencyNumbers: readonly string[];
  /** The zones our DNS function serves: a record a peer sends must lie in them. */
  readonly zones: ServedZones;
  /** Opens a trunk's password sealed for the link the row came by (config-secrets.ts). */
  readonly openPassword: (trunk: string, sealed: string) => string;
}

type Data = Record<string, unknown>;
/** Checks one row's data for its key (throws with the reason); returns the data rebuilt from checked fields. */
export type TableCheck = (key: string, d: Data, rules: TableRules) => Data;

const PASSWORD = /^[^\x00-\x1f\x7f]{1,128}$/;
const TRUNK_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PRINTABLE = /^[\x20-\x7e]{1,2048}$/;
const TARGET = /^\+?[0-9]{2,20}$/;

function only(d: Data, fields: readonly string[]): void {
  for (const f of Object.keys(d)) if (!fields.includes(f)) throw new Error(`unknown field ${f.slice(0, 40)}`);
}

function whole(v: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new Error(`${field} must be a whole number from ${min} to ${max}`);
  return v as number;
}

/** A DNS record: key JSON [name, type, value], exactly the canonical form the DNS function stores. */
const dnsRecord: TableCheck = (key, d, rules) => {
  only(d, ['name', 'type', 'value', 'ttl']);
  if (typeof d.name !== 'string' || typeof d.type !== 'string' || typeof d.value !== 'string' || !PRINTABLE.test(d.value)) throw new Error('name, type and value must be strings');
  if (key !== JSON.stringify([d.name, d.type, d.value])) throw new Error('key does not match the record');
  if (d.ttl !== null) whole(d.ttl, 'ttl', 0, 604800);
  const v = validateRecord({ name: `${d.name}.`, type: d.type, value: d.value, ttl: d.ttl as number | null }, rules.zones);
  if (v.name !== d.name || v.type !== d.type || v.value !== d.value) throw new Error('record is not in canonical form');
  return { name: v.name, type: v.type, value: v.value, ttl: v.ttl };
};

/**
 * A ring group with its members. References (members that are extensions, a fallback that
 * exists) were checked on the member the edit was made on; here the values are (a batch of a
 * full sync may bring the group before its members' extensions).
 */
const ringGroup: TableCheck = (key, d, rules) => {
  only(d, ['number', 'name', 'strategy', 'ringSeconds', 'timeoutSeconds', 'fallback', 'members', 'callClass', 'maxOutsideCalls', 'outsideCallsPerHour']);
  checkGroupNumber(key);
  if (d.number !== key) throw new Error('number does not match the key');
  checkNotEmergency(key, rules.emergencyNumbers);
  if (typeof d.name !== 'string') throw new Error('name must be a string');
  if (!(RING_STRATEGIES as readonly unknown[]).includes(d.strategy)) throw new Error('unknown strategy');
  if (!Array.isArray(d.members) || d.members.length > 32) throw new Error('members must be a list of at most 32 extension or outside numbers');
  const members = d.members as unknown[];
  // An outside member (issue 15) was checked against the dial plan where the edit was made; at each call it is checked again here.
  for (const m of members) if (typeof m !== 'string' || !TARGET.test(m) || rules.emergencyNumbers.includes(m)) checkNumber(typeof m === 'string' ? m : '');
  // The group's outside permissions (absent from a member without them: the defaults).
  const callClass = d.callClass ?? GROUP_OUTSIDE_DEFAULTS.callClass;
  if (!(EXTENSION_CALL_CLASSES as readonly unknown[]).includes(callClass)) throw new Error('unknown call class');
  if (new Set(members).size !== members.length) throw new Error('a member is listed twice');
  const fallback = d.fallback;
  if (fallback !== null && (typeof fallback !== 'string' || (fallback !== VOICEMAIL && !/^[0-9]{2,10}$/.test(fallback)) || fallback === key)) throw new Error('fallback must be a number other than the group, voicemail, or null');
  return {
    number: key, name: cleanName(d.name), strategy: d.strategy, ringSeconds: whole(d.ringSeconds, 'ringSeconds', 5, 120),
    timeoutSeconds: whole(d.timeoutSeconds, 'timeoutSeconds', 5, 180), fallback, members: members.slice(), callClass,
    maxOutsideCalls: whole(d.maxOutsideCalls ?? GROUP_OUTSIDE_DEFAULTS.maxOutsideCalls, 'maxOutsideCalls', 0, 1000),
    outsideCallsPerHour: whole(d.outsideCallsPerHour ?? GROUP_OUTSIDE_DEFAULTS.outsideCallsPerHour, 'outsideCallsPerHour', 0, 1000),
  };
};

const FORWARDS = ['forwardAlways', 'forwardBusy', 'forwardNoAnswer', 'forwardUnreachable'] as const;

/** Do-not-disturb and the forwards of one extension. */
const callFeatures: TableCheck = (key, d) => {
  only(d, ['extension', 'dnd', 'noAnswerSeconds', 'voicemailUri', ...FORWARDS]);
  checkNumber(key);
  if (d.extension !== key) throw new Error('extension does not match the key');
  if (typeof d.dnd !== 'boolean') throw new Error('dnd must be true or false');
  const out: Data = { extension: key, dnd: d.dnd, noAnswerSeconds: whole(d.noAnswerSeconds, 'noAnswerSeconds', 5, 120) };
  for (const f of FORWARDS) {
    const t = d[f];
    if (t !== null && (typeof t !== 'string' || !TARGET.test(t) || t === key)) throw new Error(`${f} must be a number other than the extension, or null`);
    out[f] = t;
  }
  // An extension's own voicemail server (issue 15): its form here; our domain, addresses and trunks were checked where it was set.
  const vm = d.voicemailUri ?? null;
  if (vm !== null && (typeof vm !== 'string' || voicemailUriRefusal(vm, { domain: '', ownAddresses: [], ownPorts: [], providerHosts: [] }))) throw new Error('voicemailUri must be a SIP URI or null');
  out.voicemailUri = vm;
  return out;
};

/** The entry must be a table; the config's own parser checks its keys (and refuses unknown ones). */
function entryOf(d: Data): Data {
  const e = d.entry;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error('entry must be a table');
  return e as Data;
}

/** Trunk names an entry refers to: checked where the edit was made; the merge leaves out an entry whose trunk is missing here. */
function referencedTrunks(e: Data): Set<string> {
  const names = [e.trunk, ...(Array.isArray(e.failover) ? e.failover : [])];
  return new Set(names.filter((n): n is string => typeof n === 'string' && TRUNK_NAME.test(n)));
}

/** A trunk the admin added; its password arrives sealed for the link, never in the entry. */
const trunk: TableCheck = (key, d, rules) => {
  only(d, ['entry', 'passwordSealed']);
  const entry = entryOf(d);
  if ('password' in entry) throw new Error('a password travels sealed, not in the entry');
  const t = parseTrunk(entry, 'entry', true);
  if (t.name !== key) throw new Error('name does not match the key');
  // Absent: the sender could not open its own password (the receiver keeps its); null: none.
  if (d.passwordSealed === undefined) return { entry };
  let password: string | null = null;
  if (d.passwordSealed !== null) {
    if (typeof d.passwordSealed !== 'string' || d.passwordSealed.length > 512) throw new Error('passwordSealed must be a string or null');
    password = rules.openPassword(key, d.passwordSealed);
    if (!PASSWORD.test(password)) throw new Error('password must be 1 to 128 printable characters');
  }
  return { entry, password };
};

const route: TableCheck = (key, d) => {
  only(d, ['entry']);
  const entry = entryOf(d);
  if (parseRoute(entry, 'entry', referencedTrunks(entry)).name !== key) throw new Error('name does not match the key');
  return { entry };
};

const inbound: TableCheck = (key, d) => {
  only(d, ['entry']);
  const entry = entryOf(d);
  if (parseInbound(entry, 'entry', referencedTrunks(entry)).did !== key) throw new Error('did does not match the key');
  return { entry };
};

/**
 * The setting a key names, if it is the group's: `emergency.trunk`, or `policy.<key>` for one of
 * the group's policy keys (GROUP_POLICY_KEYS); any other (this appliance's own) is refused.
 */
export function groupSettingOf(key: string): { readonly policy?: PolicyKey } {
  if ((GROUP_SETTINGS as readonly string[]).includes(key)) return {};
  const k = key.startsWith(POLICY_SETTING_PREFIX) ? key.slice(POLICY_SETTING_PREFIX.length) : undefined;
  if (k !== undefined && (GROUP_POLICY_KEYS as readonly string[]).includes(k)) return { policy: k as PolicyKey };
  throw new ValidationError(`${key.slice(0, 40)} is not a setting of the group (this appliance's own settings stay local)`, 'key');
}

const DECIMAL = /^-?[0-9]{1,12}(\.[0-9]{1,12})?$/;

/** Only the group's settings replicate; a policy value is checked by the config file's own field (its range). */
const setting: TableCheck = (key, d) => {
  const { policy } = groupSettingOf(key);
  only(d, ['value']);
  if (policy !== undefined) {
    if (typeof d.value !== 'string' || !DECIMAL.test(d.value)) throw new Error(`${key} must be a decimal number`);
    return { value: String(policyValue(policy, Number(d.value), key)) };
  }
  if (typeof d.value !== 'string' || !TRUNK_NAME.test(d.value)) throw new Error('emergency.trunk must name a trunk');
  return { value: d.value };
};

/** The check of each replicated kind other than extensions (config-rows.ts checks those). */
export const TABLE_CHECKS = { 'dns-record': dnsRecord, 'ring-group': ringGroup, 'call-features': callFeatures, trunk, route, inbound, setting } as const;
