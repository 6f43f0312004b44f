import { describe, expect, test } from 'bun:test';
import { mergeOutsideLine, type OutsideLineSources } from '../../../appliance/trunks/outside-line.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { ConfigError, ValidationError } from '../../../system/errors/index.ts';
import type { OutsideLineEntry } from '../../../system/store/index.ts';

/** The merged outside line (pure): the config file's entries fixed and first, the store's after, names unique across both. */
const config = (extra = '') => parseConfig(`data_dir = "/srv/x"
[[trunks]]
name = "provider"
registrar = "192.0.2.10"
username = "5551230000"
${extra}
[[routes]]
name = "national"
pattern = "^9(1[2-9][0-9]{9})$"
trunk = "provider"
class = "national"
[emergency]
trunk = "provider"
`, 'test.toml');
let id = 0;
const entry = (kind: OutsideLineEntry['kind'], e: Record<string, unknown>): OutsideLineEntry => ({ id: ++id, kind, name: (e.name as string) ?? null, entry: e, createdAt: 0, updatedAt: 0 });
const src = (entries: OutsideLineEntry[], passwords: Record<string, string> = {}, emergencyTrunk?: string): OutsideLineSources => ({ entries, password: (t) => passwords[t], emergencyTrunk });

describe('mergeOutsideLine', () => {
  test('a registering config trunk without a password in the file takes the stored one; with neither: the key named', () => {
    expect(mergeOutsideLine(config(), src([], { provider: 'Stored-1' })).trunks[0].password).toBe('Stored-1');
    expect(() => mergeOutsideLine(config(), src([]))).toThrow(ConfigError);
    expect(() => mergeOutsideLine(config(), src([]))).toThrow(/trunks\[0\]\.password: is required when register = true/);
    expect(mergeOutsideLine(config('password = "File-Pass-1"'), src([], { provider: 'older' })).trunks[0].password).toBe('File-Pass-1');
  });

  test('store entries after the config\'s, with their origin; routes in order (first match wins)', () => {
    const backup = entry('trunk', { name: 'backup', registrar: '192.0.2.20', username: 'u' });
    const local = entry('route', { name: 'local', pattern: '^9([2-9][0-9]{6})$', trunk: 'backup', class: 'local', failover: ['provider'] });
    const did = entry('inbound', { did: '*', trunk: 'backup', to: '201' });
    const line = mergeOutsideLine(config('password = "p"'), src([backup, local, did], { backup: 'Backup-1' }));
    expect(line.trunks.map((t) => [t.name, t.password])).toEqual([['provider', 'p'], ['backup', 'Backup-1']]);
    expect(line.routes.map((r) => r.name)).toEqual(['national', 'local']);
    expect(line.origins.routes.get('local')).toEqual({ from: 'store', id: local.id });
    expect(line.origins.trunks.get('provider')).toEqual({ from: 'config' });
    expect(line.inbound[0]).toMatchObject({ trunk: 'backup', to: '201', match: { kind: 'any' } });
    expect(line.skipped).toEqual([]);
  });

  test('a store entry the config file now contradicts is left out with why (the appliance still starts)', () => {
    const clash = entry('trunk', { name: 'provider', registrar: '192.0.2.99', username: 'u', register: false });
    const orphan = entry('route', { name: 'r', pattern: '^1$', trunk: 'gone', class: 'local' });
    const line = mergeOutsideLine(config('password = "p"'), src([clash, orphan]));
    expect(line.trunks).toHaveLength(1);
    expect(line.skipped.map((s) => [s.name, s.reason])).toEqual([['provider', 'name: "provider" is used by another trunk'], ['r', expect.stringContaining('names no trunk')]]);
  });

  test('the entry being checked: its error is a ValidationError naming its field', () => {
    const bad = entry('route', { name: 'r', pattern: '^(1|11)*$', trunk: 'provider', class: 'local' });
    try {
      mergeOutsideLine(config('password = "p"'), src([bad]), bad.id);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('pattern');
      expect((err as Error).message).toMatch(/^pattern: .*catastrophic backtracking/);
    }
    const caller = entry('trunk', { name: 't', registrar: '192.0.2.1', username: 'u', caller_id: 'a b', register: false });
    expect(() => mergeOutsideLine(config('password = "p"'), src([caller]), caller.id)).toThrow(expect.objectContaining({ field: 'callerId' }));
  });

  test('emergency: the config file\'s trunk, else the one the admin chose (if it exists)', () => {
    const none = parseConfig('data_dir = "/srv/x"\n', 'test.toml');
    const t = entry('trunk', { name: 'only', registrar: '192.0.2.1', username: 'u', register: false });
    expect(mergeOutsideLine(none, src([t], {}, 'only')).emergency.trunk).toBe('only');
    expect(mergeOutsideLine(none, src([t], {}, 'vanished')).emergency.trunk).toBeUndefined();
    expect(() => mergeOutsideLine(none, src([t]), t.id)).toThrow(expect.objectContaining({ field: 'emergency' }));
    expect(mergeOutsideLine(config('password = "p"'), src([t], {}, 'only')).emergency.trunk).toBe('provider');
  });
});
