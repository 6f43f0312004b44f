import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfigRows, type ConfigRowRules } from '../../../appliance/peers/config-rows.ts';
import { servedZones } from '../../../appliance/dns/zones.ts';
import { checkPolicyChanges, editPolicy, policyView, withRunTimeEdits } from '../../../appliance/control/policy-edits.ts';
import { policySettingsFor } from '../../../appliance/control/live-config.ts';
import { GROUP_POLICY_KEYS, LOCAL_POLICY_KEYS, parseConfig, POLICY_KEYS, policySettingName, type PolicyKey } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';

/**
 * The group's policy settings as replicated rows (issue 19): a peer's `policy.*` setting row is
 * checked by the config file's own fields and window rule; the run-time edit path (UI/API/CLI)
 * by the same; the settings in force are the file's with the edits over them.
 */
const NOW = 1_800_000_000_000;
const config = parseConfig('data_dir = "/tmp/x"\nname = "a"\n[control]\nscale_out_samples = 3\nscale_out_window = 5\n', 'test');
const file = policySettingsFor(config);
const inForce = (k: PolicyKey) => file[policySettingName(k)];
const rules: ConfigRowRules = {
  origins: new Set(['a', 'b']), realm: 'office.lan', emergencyNumbers: ['911'], maxAheadMs: 60_000, zones: servedZones(config),
  policy: { inForce, fromFile: inForce },
};
const row = (key: string, value: unknown, extra: Record<string, unknown> = {}) => ({ kind: 'setting', key, t: NOW - 5, origin: 'b', deleted: false, data: { value }, ...extra });
const check = (...rows: unknown[]) => checkConfigRows({ rows }, rules, NOW);

describe('a peer\'s policy rows', () => {
  test.each([
    ['a threshold', row('policy.scale_out_samples', '4'), '4'],
    ['a fraction', row('policy.shed_min_cut', '0.25'), '0.25'],
    ['a hand-off count', row('policy.hand_off_after_samples', '30'), '30'],
  ])('%p in range is accepted, rebuilt from the checked number', (_what, r, value) => {
    const v = check(r);
    expect(v.rejected).toEqual([]);
    expect(v.accepted).toEqual([{ kind: 'setting', key: r.key, t: NOW - 5, origin: 'b', deleted: false, data: { value } }]);
  });

  test.each([
    ['out of range (samples 0)', row('policy.scale_out_samples', '0'), /scale_out_samples/],
    ['out of range (a cut of 95 %)', row('policy.shed_min_cut', '0.95'), /shed_min_cut/],
    ['not an integer where one is wanted', row('policy.scale_out_samples', '2.5'), /scale_out_samples/],
    ['a number as JSON, not as the stored text', row('policy.scale_out_samples', 4), /decimal/],
    ['an exponent / a hex string', row('policy.scale_out_samples', '0x4'), /decimal/],
    ['NaN', row('policy.scale_out_samples', 'NaN'), /decimal/],
    ['samples above the window here', row('policy.scale_out_samples', '6'), /larger than policy.scale_out_window/],
    ['this appliance\'s own key (the CPU\'s critical temperature)', row('policy.critical_cpu_temperature', '200'), /not a setting of the group/],
    ['its tombstone too', row('policy.critical_cpu_temperature', undefined, { deleted: true, data: undefined }), /not a setting of the group/],
    ['the worker bounds (not policy keys: the box\'s cores)', row('policy.max_workers', '64'), /not a setting of the group/],
    ['an unknown policy key', row('policy.evil', '1'), /not a setting of the group/],
    ['an extra field', { ...row('policy.scale_out_samples', '4'), data: { value: '4', sql: 'x' } }, /unknown field/],
  ])('%p is refused', (_what, r, reason) => {
    const v = check(r);
    expect(v.accepted).toEqual([]);
    expect(v.rejected).toHaveLength(1);
    expect(v.rejected[0]!.reason).toMatch(reason);
  });

  test('rows of one batch are taken together, in any order: a wider window lets more samples in', () => {
    expect(check(row('policy.scale_out_window', '10'), row('policy.scale_out_samples', '8')).accepted).toHaveLength(2);
    expect(check(row('policy.scale_out_samples', '8'), row('policy.scale_out_window', '10')).accepted).toHaveLength(2);
    const v = check(row('policy.scale_out_samples', '8'), row('policy.scale_out_window', '7'), row('emergency.trunk', 'not a trunk!'));
    expect(v.accepted.map((r) => r.key)).toEqual(['policy.scale_out_window']);
    expect(v.rejected.map((r) => r.key)).toEqual(['emergency.trunk', 'policy.scale_out_samples']);
  });

  test('a tombstone gives the file\'s value back, and is checked with it', () => {
    const narrow: ConfigRowRules = { ...rules, policy: { inForce: (k) => (k === 'scale_out_window' ? 10 : k === 'scale_out_samples' ? 8 : inForce(k)), fromFile: inForce } };
    const gone = { kind: 'setting', key: 'policy.scale_out_window', t: NOW - 5, origin: 'b', deleted: true };
    // The window back at the file's 5 with 8 samples edited here: refused; the samples' tombstone first: fine.
    expect(checkConfigRows({ rows: [gone] }, narrow, NOW).rejected).toHaveLength(1);
    expect(checkConfigRows({ rows: [{ ...gone, key: 'policy.scale_out_samples' }, gone] }, narrow, NOW).accepted).toHaveLength(2);
  });
});

describe('the run-time edit (web UI, API, CLI)', () => {
  test('the split of the keys: only the CPU\'s critical temperature is the appliance\'s own', () => {
    expect(LOCAL_POLICY_KEYS).toEqual(['critical_cpu_temperature']);
    expect(GROUP_POLICY_KEYS.length).toBe(Object.keys(POLICY_KEYS).length - 1);
  });

  test.each([
    ['an unknown key', { evil: 1 }, /not a \[control\] policy key/],
    ['the appliance\'s own key', { critical_cpu_temperature: 80 }, /config file/],
    ['the worker bounds', { max_workers: 8 }, /not a \[control\] policy key/],
    ['out of range, as the file says it', { scale_out_cpu_share: 1.5 }, /scale_out_cpu_share: .*1\.5/],
    ['a string', { scale_out_samples: '4' }, /scale_out_samples/],
    ['samples above the window', { scale_out_samples: 6 }, /scale_out_samples: is larger than scale_out_window \(5\)/],
    ['nothing', {}, /nothing to change/],
  ])('%p is refused, naming the key', (_what, body, message) => {
    expect(() => checkPolicyChanges(body, file, [])).toThrow(message);
  });

  test('edits win over the file; null gives the file\'s value back; the view says which is which', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-edits-'));
    const store = openStore(dir);
    try {
      store.configVersions.setOrigin('a');
      editPolicy(store, file, { scale_out_window: 10, scale_out_samples: 8, hand_off_after_samples: 30 }, 'api');
      const settings = withRunTimeEdits(file, store.policy.list());
      expect([settings.scaleOutSamples, settings.scaleOutWindow, settings.handOffAfterSamples]).toEqual([8, 10, 30]);
      // Versioned and replicated like any group setting (the triggers of migration 17).
      expect(store.configVersions.version('setting', 'policy.scale_out_samples')).toMatchObject({ origin: 'a', deleted: false });
      const view = policyView(file, store.policy.list());
      expect(view.find((s) => s.key === 'scale_out_samples')).toMatchObject({ value: 8, file: 3, scope: 'group', edited: { on: 'a' } });
      expect(view.find((s) => s.key === 'critical_cpu_temperature')).toMatchObject({ scope: 'appliance', edited: null });
      // Narrowing the window below the edited samples is refused; both back to the file is fine.
      expect(() => editPolicy(store, file, { scale_out_window: null }, 'api')).toThrow(/scale_out_samples/);
      editPolicy(store, file, { scale_out_window: null, scale_out_samples: null }, 'cli');
      expect(withRunTimeEdits(file, store.policy.list()).scaleOutWindow).toBe(5);
      expect(store.configVersions.version('setting', 'policy.scale_out_window')).toMatchObject({ deleted: true });
      expect(store.events.recent(5).some((e) => e.kind === 'admin.policy')).toBe(true);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an edit the file has since made invalid is left out, never a window that cannot fire', () => {
    const rows = [{ key: 'scale_out_samples', value: 8, origin: 'b', t: 1 }];
    expect(withRunTimeEdits(file, rows).scaleOutSamples).toBe(3);
    expect(withRunTimeEdits({ ...file, scaleOutWindow: 10 }, rows).scaleOutSamples).toBe(8);
    // This appliance's own key is never taken from a row.
    expect(withRunTimeEdits(file, [{ key: 'critical_cpu_temperature', value: 40, origin: 'b', t: 1 }]).criticalCpuTemperature).toBe(file.criticalCpuTemperature);
  });
});
