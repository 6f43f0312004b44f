import { checkPolicyWindows, type PolicyKey } from '../../system/config/policy-rules.ts';
import type { ConfigError } from '../../system/errors/index.ts';
import type { ReplicatedRow } from '../../system/store/index.ts';
import { groupSettingOf } from './config-rows-tables.ts';
import type { ConfigRowsVerdict } from './config-rows.ts';

/** The policy settings in force here, and what each key falls back to (the config file's value, else the default). */
export interface PolicyInForce {
  inForce(key: PolicyKey): number;
  fromFile(key: PolicyKey): number;
}

/**
 * Policy rows of a batch taken together (pure): with all of them applied, the settings here
 * must be valid as a whole (samples not above their window: the config file's own check,
 * system/config/policy-rules.ts), whatever order they come in (one edit of a window and its
 * samples is one transaction, so one batch). A tombstone gives the key its file value back, so
 * it is checked with that. While the whole is not valid, the row of the key the check names is
 * refused (and logged by the caller), never applied.
 */
export function checkPolicyBatch(accepted: readonly ReplicatedRow[], rejected: readonly { key: string; reason: string }[], policy: PolicyInForce): ConfigRowsVerdict {
  const refused = [...rejected];
  const candidates = new Map<PolicyKey, ReplicatedRow>();
  for (const row of accepted) {
    const key = row.kind === 'setting' ? groupSettingOf(row.key).policy : undefined;
    if (key !== undefined) candidates.set(key, row); // the later row of a key is the newer
  }
  const refusedRows = new Set<ReplicatedRow>();
  for (;;) {
    const value = (k: PolicyKey) => {
      const row = candidates.get(k);
      return row === undefined ? policy.inForce(k) : row.deleted ? policy.fromFile(k) : Number(row.data!.value);
    };
    try {
      checkPolicyWindows(value, (k) => `policy.${k}`);
      break;
    } catch (err) {
      const key = (err as ConfigError).key.replace(/^policy\./, '') as PolicyKey;
      const row = candidates.get(key);
      if (!row) {
        // The settings here break the rule without any row of this batch (cannot happen: they were checked); refuse them all.
        for (const r of candidates.values()) refusedRows.add(r);
        candidates.clear();
        refused.push({ key: `policy.${key}`, reason: (err as Error).message.slice(0, 200) });
        break;
      }
      candidates.delete(key);
      refusedRows.add(row);
      refused.push({ key: row.key, reason: (err as Error).message.slice(0, 200) });
    }
  }
  // Rows of a key seen twice in the batch: only the last was a candidate; the earlier go with it.
  const gone = new Set([...refusedRows].map((r) => r.key));
  return { accepted: accepted.filter((r) => !(r.kind === 'setting' && gone.has(r.key))), rejected: refused };
}
