import { ConfigError } from '../errors/index.ts';
import { InvalidScheduleError, validateSchedule } from '../schedule/schedule.ts';
import { parseCidr, type Cidr } from './cidr.ts';

/**
 * Small declarative validators for TOML values. Each takes the raw value and the dotted key
 * (for the error message) and returns the typed value or throws a ConfigError naming the key.
 */
export type Field<T> = (value: unknown, key: string) => T;

export const str = (opts: { pattern?: RegExp; hint?: string } = {}): Field<string> => (v, key) => {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(key, `expected a non-empty string, got ${show(v)}`);
  if (opts.pattern && !opts.pattern.test(v)) throw new ConfigError(key, `${show(v)} is not ${opts.hint ?? 'valid'}`);
  return v;
};

export const int = (min: number, max: number): Field<number> => (v, key) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(key, `expected an integer in ${min}..${max}, got ${show(v)}`);
  }
  return v;
};

/**
 * Seconds as a period node-cron can keep: a step N in the seconds field ("star slash N") restarts
 * at each minute, so only a divisor of 60 gives even ticks (a step of 59 fires at :59 and again at
 * :00, one second apart).
 */
export const secondsDividing60: Field<number> = (v, key) => {
  const n = int(1, 60)(v, key);
  if (60 % n !== 0) throw new ConfigError(key, `${n} does not divide 60; use one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60 (a cron period restarts each minute)`);
  return n;
};

/** A node-cron expression (5 fields, or 6 with seconds first), checked by node-cron itself; the error names the key. */
export const cronSchedule: Field<string> = (v, key) => {
  const text = str()(v, key);
  try {
    validateSchedule(text);
  } catch (err) {
    if (err instanceof InvalidScheduleError) throw new ConfigError(key, err.message);
    throw err;
  }
  return text;
};

export const num = (min: number, max: number): Field<number> => (v, key) => {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
    throw new ConfigError(key, `expected a number in ${min}..${max}, got ${show(v)}`);
  }
  return v;
};

export const bool: Field<boolean> = (v, key) => {
  if (typeof v !== 'boolean') throw new ConfigError(key, `expected true or false, got ${show(v)}`);
  return v;
};

export const oneOf = <T extends string>(...allowed: T[]): Field<T> => (v, key) => {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ConfigError(key, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
  }
  return v as T;
};

export const list = <T>(item: Field<T>, opts: { nonEmpty?: boolean } = {}): Field<T[]> => (v, key) => {
  if (!Array.isArray(v)) throw new ConfigError(key, `expected a list, got ${show(v)}`);
  if (opts.nonEmpty && v.length === 0) throw new ConfigError(key, 'expected at least one entry');
  return v.map((x, i) => item(x, `${key}[${i}]`));
};

export const cidr: Field<Cidr> = (v, key) => {
  const text = str()(v, key);
  const parsed = parseCidr(text);
  if (!parsed) throw new ConfigError(key, `${show(v)} is not an address or address/prefix`);
  return parsed;
};

/** A DNS name in presentation form, without trailing dot, lower-cased (RFC 1035 §2.3.1). */
export const domainName: Field<string> = (v, key) => {
  const text = str()(v, key).replace(/\.$/, '').toLowerCase();
  const ok = text.length <= 253 && text.split('.').every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
  if (!ok) throw new ConfigError(key, `${show(v)} is not a valid domain name`);
  return text;
};

/**
 * Validates one TOML table against a shape: every key of `shape` is read (falling back to
 * `defaults`), and any key in the table that the shape does not know fails, naming it; a key
 * of `renamed` (old name → new name) fails naming both, so an old file is fixed at once.
 */
export function table<S extends Record<string, Field<unknown>>>(
  raw: unknown,
  key: string,
  shape: S,
  defaults: { [K in keyof S]?: unknown },
  renamed: Readonly<Record<string, string>> = {},
): { [K in keyof S]: ReturnType<S[K]> } {
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(key || '(top level)', `expected a table, got ${show(raw)}`);
  }
  const input = raw as Record<string, unknown>;
  for (const k of Object.keys(input)) {
    const dotted = key ? `${key}.${k}` : k;
    const now = Object.hasOwn(renamed, k) ? renamed[k] : undefined;
    if (now !== undefined) throw new ConfigError(dotted, `was renamed: write ${key ? `${key}.${now}` : now} instead (same meaning, same value)`);
    if (!(k in shape)) throw new ConfigError(dotted, 'unknown key');
  }
  const out: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(shape)) {
    const value = k in input ? input[k] : defaults[k];
    const dotted = key ? `${key}.${k}` : k;
    if (value === undefined) throw new ConfigError(dotted, 'is required');
    out[k] = field(value, dotted);
  }
  return out as { [K in keyof S]: ReturnType<S[K]> };
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
