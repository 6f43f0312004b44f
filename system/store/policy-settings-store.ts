import type { Database } from 'bun:sqlite';
import { POLICY_SETTING_PREFIX } from './replication-schema.ts';

/** A policy setting edited at run time: its value and the version of its last edit. */
export interface PolicySettingRow {
  /** The `[control]` key (snake case, without the `policy.` prefix). */
  readonly key: string;
  readonly value: number;
  /** The member the edit was made on ('' for none known), and when (version clock, ms). */
  readonly origin: string;
  readonly t: number;
}

/**
 * The group's policy settings edited at run time (issue 19): `settings` rows `policy.<key>`,
 * versioned and replicated by the triggers of migration 17 like every group setting. A key
 * without a row takes the config file's value; removing a row (its tombstone replicates) gives
 * the file's value back. Values are checked before they get here (system/config/policy-rules.ts).
 */
export class PolicySettingsStore {
  constructor(private readonly db: Database) {}

  /** Every run-time value, with the version of its last edit. */
  list(): PolicySettingRow[] {
    return this.db.query<{ key: string; value: string; t: number | null; origin: string | null }, [string]>(
      `SELECT s.key, s.value, v.t, v.origin FROM settings s LEFT JOIN config_versions v ON v.kind = 'setting' AND v.key = s.key
       WHERE s.key GLOB ? ORDER BY s.key`).all(`${POLICY_SETTING_PREFIX}*`)
      .map((r) => ({ key: r.key.slice(POLICY_SETTING_PREFIX.length), value: Number(r.value), origin: r.origin ?? '', t: r.t ?? 0 }))
      .filter((r) => Number.isFinite(r.value));
  }

  /** Sets some keys (a number) and gives others back to the file (null), in one transaction. */
  edit(changes: Readonly<Record<string, number | null>>): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) this.db.query('DELETE FROM settings WHERE key = ?').run(POLICY_SETTING_PREFIX + key);
        else this.db.query('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value').run(POLICY_SETTING_PREFIX + key, String(value));
      }
    })();
  }
}
