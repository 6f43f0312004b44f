import { ConfigError } from '../errors/index.ts';
import { int, num, type Field } from './fields.ts';

/**
 * [control] policy keys, with their allowed ranges: every tunable setting of the overload
 * policy (appliance/control/policy/settings.ts checks at compile time that each of its settings
 * has a key here and each key names a setting). The config file and a value edited at run time
 * (the web UI, API, CLI, a peer's replicated row) are checked by these same fields.
 */
export const POLICY_KEYS = {
  scale_out_cpu_share: num(0.01, 1), scale_out_samples: int(1, 100), scale_out_window: int(1, 100), scale_out_cooldown_seconds: int(0, 3600),
  scale_in_cpu_share: num(0, 1), scale_in_samples: int(1, 1000), scale_in_window: int(1, 1000), scale_in_cooldown_seconds: int(0, 86400),
  host_cpu_percent: num(1, 100), host_cpu_cpu_share: num(0, 1), critical_cpu_temperature: num(30, 150),
  shed_target_cpu_share: num(0.01, 1), shed_min_cut: num(0.01, 0.9), shed_relax_cpu_share: num(0, 1), shed_relax_samples: int(1, 100),
  shed_relax_window: int(1, 100), shed_relax_step: num(0.01, 1), shed_min_calls_per_second: num(0.1, 100_000),
  shed_min_registers_per_second: num(0.1, 100_000), shed_retry_after_seconds: int(1, 3600), shed_max_retry_after_seconds: int(1, 86400),
  hand_off_after_samples: int(1, 10000), hand_off_retry_seconds: int(1, 86400), take_back_after_samples: int(1, 100000),
} satisfies Record<string, Field<number>>;

/** A `[control]` policy key (snake case). */
export type PolicyKey = keyof typeof POLICY_KEYS;

/** `snake_case` → `camelCase`, as a type (`scale_out_cpu_share` → `scaleOutCpuShare`). */
type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The policy settings a config file sets (camelCased keys of POLICY_KEYS); absent ones keep the defaults. */
export type PolicyOverrides = { readonly [K in PolicyKey as CamelCase<K>]?: number };

/** The setting's name in PolicySettings (`scale_out_samples` → `scaleOutSamples`). */
export const policySettingName = (key: PolicyKey): keyof PolicyOverrides => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof PolicyOverrides;

/**
 * Keys each appliance keeps for itself (docs/PEERS.md "Policy settings"): the critical CPU
 * temperature is a property of the box's CPU (its rated junction temperature differs between
 * models). The worker bounds (`min_workers`, `max_workers`: the box's cores) are not policy keys
 * at all and stay in each file too. Every other policy key is the group's: it replicates.
 */
export const LOCAL_POLICY_KEYS: readonly PolicyKey[] = ['critical_cpu_temperature'];
/** The policy keys the group shares: edited at run time on any member, they replicate. */
export const GROUP_POLICY_KEYS: readonly PolicyKey[] = (Object.keys(POLICY_KEYS) as PolicyKey[]).filter((k) => !LOCAL_POLICY_KEYS.includes(k));

/** Whether `key` is one of the policy keys. */
export const isPolicyKey = (key: string): key is PolicyKey => Object.hasOwn(POLICY_KEYS, key);

/** `samples of the last window` pairs: a count larger than its window could never fire. */
const WINDOWS = [['scale_out_samples', 'scale_out_window'], ['scale_in_samples', 'scale_in_window'], ['shed_relax_samples', 'shed_relax_window']] as const;

/** Checks one policy value against its key's range; the error names `name` (default `control.<key>`). */
export function policyValue(key: PolicyKey, value: unknown, name = `control.${key}`): number {
  return POLICY_KEYS[key](value, name);
}

/**
 * Checks the values together (samples not above their window). `value` gives a key's value,
 * or undefined when it is not known here (the config file: a key it does not set). The config
 * file, the run-time edit and a peer's row go through this one check.
 */
export function checkPolicyWindows(value: (key: PolicyKey) => number | undefined, name = (key: PolicyKey) => `control.${key}`): void {
  for (const [k, w] of WINDOWS) {
    const [samples, window] = [value(k), value(w)];
    if (samples !== undefined && window !== undefined && samples > window) throw new ConfigError(name(k), `is larger than ${name(w)} (${window}): the window could never fire`);
  }
}
