import { checkPolicyWindows, GROUP_POLICY_KEYS, isPolicyKey, LOCAL_POLICY_KEYS, POLICY_KEYS, policySettingName, policyValue, type PolicyKey } from '../../system/config/policy-rules.ts';
import { ConfigError, ValidationError } from '../../system/errors/index.ts';
import type { PolicySettingRow, Store } from '../../system/store/index.ts';
import type { PolicySettings } from './policy/index.ts';

/**
 * The policy settings with the group's run-time edits over the config file's (pure). Only the
 * group's keys are taken from the rows, each only in its key's range. The settings must obey
 * the rule they obey together (samples within their window) as a whole, whatever order the
 * rows come in; where they do not (the file changed under an edit, say), the edit of the key
 * named is left out (the file's value stays), then all of them if that does not do, so the
 * settings in force are always ones the config file itself could give.
 */
export function withRunTimeEdits(file: PolicySettings, rows: readonly PolicySettingRow[]): PolicySettings {
  const edits = new Map<PolicyKey, number>();
  for (const r of rows) {
    if (!(GROUP_POLICY_KEYS as readonly string[]).includes(r.key)) continue;
    try {
      edits.set(r.key as PolicyKey, policyValue(r.key as PolicyKey, r.value));
    } catch {
      // Out of range here: the file's value stays (the edit was checked where it was made).
    }
  }
  for (let tries = 0; tries <= edits.size; tries++) {
    const next: PolicySettings = { ...file, ...Object.fromEntries([...edits].map(([k, v]) => [policySettingName(k), v])) };
    try {
      checkPolicyWindows((k) => next[policySettingName(k)]);
      return next;
    } catch (err) {
      const key = (err as ConfigError).key.replace(/^control\./, '') as PolicyKey;
      if (!edits.delete(key)) break;
    }
  }
  return file;
}

/** One policy setting as the web UI, the API and the CLI show it. */
export interface PolicySettingView {
  readonly key: PolicyKey;
  /** In force now. */
  readonly value: number;
  /** The config file's value (its default when the file does not set it): in force again when the run-time edit is removed. */
  readonly file: number;
  /** `group`: edited at run time on any member, it replicates; `appliance`: this box's own, set in its config file. */
  readonly scope: 'group' | 'appliance';
  /** Edited at run time (wins over the file, also after a restart), on which member and when; null: the file's value. */
  readonly edited: { readonly on: string; readonly at: number } | null;
}

/** What a run-time edit changes: a number sets the key, null gives it back to the file. */
export type PolicyChanges = Readonly<Partial<Record<PolicyKey, number | null>>>;

/**
 * Checks an edit (the API's body, the CLI's words) as the config file is checked: each key one
 * of the group's (an appliance's own is refused, naming where to set it), each value in its
 * key's range (the same fields, system/config/policy-rules.ts), and the result as a whole
 * (samples within their window). Pure; throws a ValidationError naming the key.
 */
export function checkPolicyChanges(body: unknown, file: PolicySettings, rows: readonly PolicySettingRow[]): PolicyChanges {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('expected an object of [control] keys', 'settings');
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length === 0) throw new ValidationError('nothing to change', 'settings');
  const changes: Partial<Record<PolicyKey, number | null>> = {};
  for (const [key, raw] of entries) {
    if (!isPolicyKey(key)) throw new ValidationError(`"${key.slice(0, 60)}" is not a [control] policy key`, key.slice(0, 60));
    if (LOCAL_POLICY_KEYS.includes(key)) throw new ValidationError(`${key} is this appliance's own (its CPU): set it in the config file's [control] section`, key);
    try {
      changes[key] = raw === null ? null : policyValue(key, raw, key);
    } catch (err) {
      throw new ValidationError(plain(err), key);
    }
  }
  const inForce = withRunTimeEdits(file, rows);
  const value = (k: PolicyKey): number => {
    const c = changes[k];
    return c === undefined ? inForce[policySettingName(k)] : c === null ? file[policySettingName(k)] : c;
  };
  try {
    checkPolicyWindows(value, (k) => k);
  } catch (err) {
    throw new ValidationError(plain(err), (err as ConfigError).key ?? 'settings');
  }
  return changes;
}

/** A config check's message without its `config: ` prefix (the key is named in it). */
const plain = (err: unknown) => (err as Error).message.replace(/^config: /, '');

/** Every policy key, in the order of POLICY_KEYS, as the UI/API/CLI show it. */
export function policyView(file: PolicySettings, rows: readonly PolicySettingRow[]): PolicySettingView[] {
  const inForce = withRunTimeEdits(file, rows);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return (Object.keys(POLICY_KEYS) as PolicyKey[]).map((key) => {
    const name = policySettingName(key);
    const row = byKey.get(key);
    const group = GROUP_POLICY_KEYS.includes(key);
    // A row left out (it breaks a window with the file's values now) is not in force: the file's value is.
    const edited = group && row !== undefined && inForce[name] === row.value ? { on: row.origin, at: row.t } : null;
    return { key, value: inForce[name], file: file[name], scope: group ? 'group' : 'appliance', edited };
  });
}

/**
 * The run-time edit path (the web UI and API, the CLI through the command channel): checked,
 * written in one transaction (the triggers version each key, replication sends it to the peers
 * within 100 ms; the control section reads the settings in force from the store, live-config.ts),
 * and logged.
 */
export function editPolicy(store: Store, file: PolicySettings, body: unknown, by: string): PolicySettingView[] {
  const changes = checkPolicyChanges(body, file, store.policy.list());
  store.policy.edit(changes as Record<string, number | null>);
  const words = Object.entries(changes).map(([k, v]) => `${k} = ${v === null ? 'the file\'s value' : v}`).join(', ');
  store.events.append('admin.policy', `policy settings edited (${by}): ${words}`, { by, changes });
  return policyView(file, store.policy.list());
}
