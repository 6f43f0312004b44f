import type { Database } from 'bun:sqlite';

/** Key/value settings the appliance keeps across restarts (secrets included; never logged). */
export class SettingsStore {
  constructor(private readonly db: Database) {}

  get(key: string): string | undefined {
    const row = this.db.query<{ value: string }, [string]>('SELECT value FROM settings WHERE key = ?').get(key);
    return row?.value;
  }

  set(key: string, value: string): void {
    this.db.query('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Returns the value for `key`, creating it with `make()` on first use (atomic). */
  getOrCreate(key: string, make: () => string): string {
    return this.db.transaction(() => {
      const cur = this.get(key);
      if (cur !== undefined) return cur;
      const value = make();
      this.set(key, value);
      return value;
    }).immediate();
  }
}
