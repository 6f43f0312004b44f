import { readFileSync } from 'node:fs';

/** Assumed when the limit cannot be read (not Linux): the usual soft default. */
const FALLBACK = 1024;

/**
 * This process's soft limit on open files (RLIMIT_NOFILE, `ulimit -n`), read from
 * /proc/self/limits (Node and Bun expose no getrlimit). Worker processes inherit it.
 */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return FALLBACK;
    return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    return FALLBACK;
  }
}
