import { describe, expect, test } from 'bun:test';
import { parseConfig, POLICY_KEYS } from '../../../system/config/index.ts';
import { defaultPolicySettings, type PolicySettings } from '../../../appliance/control/policy/index.ts';
import { policySettingsFor } from '../../../appliance/control/live-config.ts';

/**
 * Every policy setting is configurable (issue 13 item 10): each `[control]` key of POLICY_KEYS,
 * set in a file to a value its range accepts and the default is not, reaches the policy's
 * settings under its camelCased name, and the other settings keep their defaults.
 */
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof PolicySettings;
const defaults = defaultPolicySettings(4);

/** The first candidate the key's range accepts that differs from the default. */
function valueFor(key: keyof typeof POLICY_KEYS): number {
  for (const v of [0.5, 0.3, 2, 3, 50, 95, 120]) {
    try {
      POLICY_KEYS[key](v, key);
    } catch {
      continue;
    }
    if (v !== defaults[camel(key)]) return v;
  }
  throw new Error(`no test value for ${key}`);
}

describe('policy settings from [control]', () => {
  test.each((Object.keys(POLICY_KEYS) as (keyof typeof POLICY_KEYS)[]).map((k) => [k]))('%p reaches the policy settings', (key) => {
    const value = valueFor(key);
    const config = parseConfig(`[control]\nmin_workers = 1\nmax_workers = 4\n${key} = ${value}\n`, '/tmp/archctl-live-config.toml');
    const settings = policySettingsFor(config);
    expect(settings[camel(key)]).toBe(value);
    const others = Object.fromEntries(Object.entries(settings).filter(([k]) => k !== camel(key) && k !== 'peers'));
    const expected = Object.fromEntries(Object.entries(defaults).filter(([k]) => k !== camel(key) && k !== 'peers'));
    expect(others).toEqual({ ...expected, minWorkers: 1, maxWorkers: 4 });
  });

  test('every tunable setting has a key (the compile-time check, seen at run time too)', () => {
    const keyed = new Set(Object.keys(POLICY_KEYS).map(camel));
    const tunable = Object.keys(defaults).filter((k) => !['minWorkers', 'maxWorkers', 'peers'].includes(k));
    expect(tunable.filter((k) => !keyed.has(k as keyof PolicySettings))).toEqual([]);
    expect([...keyed].filter((k) => !tunable.includes(k))).toEqual([]);
  });
});
