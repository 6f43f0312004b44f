/**
 * SQL of the replicated tables' versions (issue 19): the triggers that stamp every local write
 * with a version (migration 12 for extensions, migration 14 for the rest) and the binding
 * tombstones. Kept apart from migrations.ts so each table's key is written down once.
 */

/** Hybrid logical clock: wall-clock ms, at least one more than any version this store has seen. */
const CLOCK = `MAX(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), (SELECT COALESCE(MAX(t), 0) + 1 FROM config_versions))`;

/**
 * One statement that versions a row of `kind` at `key` (SQL expressions over NEW/OLD), when
 * `when` holds: our name as origin, the next seq; `deleted` (SQL) leaves a tombstone.
 */
export function stampVersion(kind: string, key: string, deleted: string, when = '1'): string {
  // An upsert, not INSERT OR REPLACE: inside a trigger the outer statement's conflict handling
  // wins over the trigger's OR clause, so a write made by an upsert (settings, sealed secrets,
  // call features) would abort on the version row already there.
  return `INSERT INTO config_versions (kind, key, t, origin, deleted, seq)
          SELECT ${kind}, ${key}, ${CLOCK}, (SELECT origin FROM replication_state WHERE id = 1), ${deleted},
            (SELECT COALESCE(MAX(seq), 0) + 1 FROM config_versions) WHERE ${when}
          ON CONFLICT (kind, key) DO UPDATE SET t = excluded.t, origin = excluded.origin, deleted = excluded.deleted, seq = excluded.seq;`;
}

/** A trigger on `table` for `event` running `body` (stamps), except while a peer's rows are applied. */
export function replicationTrigger(name: string, table: string, event: 'INSERT' | 'UPDATE' | 'DELETE', body: string, when = '1'): string {
  return `CREATE TRIGGER ${name} AFTER ${event} ON ${table}
        WHEN (SELECT applying FROM replication_state WHERE id = 1) = 0 AND (${when})
      BEGIN
        ${body}
      END;`;
}

/** Insert, update (a changed key leaves a tombstone for the old one) and delete triggers of one table. */
export function tableTriggers(table: string, kind: (row: 'NEW' | 'OLD') => string, key: (row: 'NEW' | 'OLD') => string, when: (row: 'NEW' | 'OLD') => string = () => '1'): string {
  return [
    replicationTrigger(`${table}_version_insert`, table, 'INSERT', stampVersion(kind('NEW'), key('NEW'), '0'), when('NEW')),
    replicationTrigger(`${table}_version_update`, table, 'UPDATE',
      stampVersion(kind('OLD'), key('OLD'), '1', `(${when('OLD')}) AND (${key('OLD')} IS NOT ${key('NEW')} OR ${kind('OLD')} IS NOT ${kind('NEW')})`) + '\n' +
      stampVersion(kind('NEW'), key('NEW'), '0', when('NEW')), `${when('OLD')} OR ${when('NEW')}`),
    replicationTrigger(`${table}_version_delete`, table, 'DELETE', stampVersion(kind('OLD'), key('OLD'), '1'), when('OLD')),
  ].join('\n');
}

/** The key of a DNS record: name, type and value (its id is local to each member). */
export const dnsRecordKey = (r: string) => `json_array(${r}.name, ${r}.type, ${r}.value)`;
/** The key of an outside-line entry: a trunk's or route's name, an inbound number's did. */
const outsideLineKey = (r: string) => `CASE WHEN ${r}.kind = 'inbound' THEN json_extract(${r}.entry, '$.did') ELSE ${r}.name END`;
/** Settings that are the group's, not this appliance's (the rest of `settings` stays local: secrets, the admin password). */
export const GROUP_SETTINGS = ['emergency.trunk'] as const;
const groupSetting = (r: string) => `${r}.key IN (${GROUP_SETTINGS.map((k) => `'${k}'`).join(', ')})`;
/** Keys of the group's policy settings (`policy.<[control] key>`, issue 19): one row per key, edited at run time. */
export const POLICY_SETTING_PREFIX = 'policy.';
/** Whether a settings key is the group's (so it replicates): GROUP_SETTINGS, or a policy setting. */
export const isGroupSetting = (key: string): boolean => (GROUP_SETTINGS as readonly string[]).includes(key) || key.startsWith(POLICY_SETTING_PREFIX);
/** The same, in SQL (migration 17 on). */
const groupSettingOrPolicy = (r: string) => `(${groupSetting(r)} OR ${r}.key GLOB '${POLICY_SETTING_PREFIX}*')`;
/** A trunk's sealed password belongs to a stored trunk (a config-file trunk's password stays here). */
const storedTrunkSecret = (r: string) => `${r}.name LIKE 'trunk:%' AND EXISTS (SELECT 1 FROM outside_line_entries WHERE kind = 'trunk' AND name = substr(${r}.name, 7))`;
const groupOf = (r: string) => `${r}.group_number`;
const groupGone = (r: string) => `NOT EXISTS (SELECT 1 FROM ring_groups WHERE number = ${r}.group_number)`;

/** A seed version for each row already there (the clock of its last change, no origin), after the present seqs. */
function seed(kind: string, key: string, t: string, from: string): string {
  return `INSERT OR IGNORE INTO config_versions (kind, key, t, origin, deleted, seq)
      SELECT ${kind}, ${key}, MAX(${t}, 1), '', 0, (SELECT COALESCE(MAX(seq), 0) FROM config_versions) + row_number() OVER () FROM ${from};`;
}

/**
 * Migration 14: the other replicated tables (DNS records, ring groups with their members, call
 * features, the stored outside line with its trunks' sealed passwords, the group's settings)
 * versioned like extensions; and binding tombstones: a removal (not an expiry) remembered until
 * a binding it beats could still be alive anywhere, so a full sync after a split does not
 * bring the binding back.
 */
export const MIGRATION_14 = `
  ${tableTriggers('dns_records', () => `'dns-record'`, dnsRecordKey)}
  ${tableTriggers('ring_groups', () => `'ring-group'`, (r) => `${r}.number`)}
  ${replicationTrigger('ring_group_members_version_insert', 'ring_group_members', 'INSERT', stampVersion(`'ring-group'`, groupOf('NEW'), groupGone('NEW')))}
  ${replicationTrigger('ring_group_members_version_update', 'ring_group_members', 'UPDATE', stampVersion(`'ring-group'`, groupOf('NEW'), groupGone('NEW')))}
  ${replicationTrigger('ring_group_members_version_delete', 'ring_group_members', 'DELETE', stampVersion(`'ring-group'`, groupOf('OLD'), groupGone('OLD')))}
  ${tableTriggers('call_features', () => `'call-features'`, (r) => `${r}.extension`)}
  ${tableTriggers('outside_line_entries', (r) => `${r}.kind`, outsideLineKey)}
  ${replicationTrigger('sealed_secrets_version_insert', 'sealed_secrets', 'INSERT', stampVersion(`'trunk'`, 'substr(NEW.name, 7)', '0'), storedTrunkSecret('NEW'))}
  ${replicationTrigger('sealed_secrets_version_update', 'sealed_secrets', 'UPDATE', stampVersion(`'trunk'`, 'substr(NEW.name, 7)', '0'), storedTrunkSecret('NEW'))}
  ${tableTriggers('settings', () => `'setting'`, (r) => `${r}.key`, groupSetting)}
  ${seed(`'dns-record'`, dnsRecordKey('dns_records'), 'updated_at', 'dns_records')}
  ${seed(`'ring-group'`, 'number', 'updated_at', 'ring_groups')}
  ${seed(`'call-features'`, 'extension', 'updated_at', 'call_features')}
  ${seed('kind', outsideLineKey('outside_line_entries'), 'updated_at', 'outside_line_entries')}
  ${seed(`'setting'`, 'key', '1', `settings WHERE ${groupSetting('settings')}`)}
  CREATE TABLE binding_tombstones (
    aor     TEXT NOT NULL,
    contact TEXT NOT NULL,
    version INTEGER NOT NULL,
    until   INTEGER NOT NULL,
    PRIMARY KEY (aor, contact)
  );
  CREATE INDEX binding_tombstones_until ON binding_tombstones (until);
`;

/**
 * Migration 17: the group's policy settings (`policy.*` keys of `settings`, issue 19) versioned
 * and replicated like `emergency.trunk`: the settings triggers again, with the wider condition.
 */
export const MIGRATION_17 = `
  DROP TRIGGER settings_version_insert;
  DROP TRIGGER settings_version_update;
  DROP TRIGGER settings_version_delete;
  ${tableTriggers('settings', () => `'setting'`, (r) => `${r}.key`, groupSettingOrPolicy)}
`;
