import { existsSync } from 'node:fs';

const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** Absolute path of an executable on PATH (or in an sbin directory), or undefined. */
export function findTool(name: string): string | undefined {
  const found = Bun.which(name);
  if (found) return found;
  for (const dir of SBIN) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return undefined;
}

/**
 * True when the external tool a test needs is installed. Missing: outside CI the test should
 * skip (a console message says why); with CI=true a missing tool is a failure, so it throws.
 */
export function requireTool(name: string): boolean {
  if (findTool(name)) return true;
  const message = `required tool "${name}" is not installed`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: tools are mandatory, see .ci/run)`);
  console.warn(`skipping: ${message}`);
  return false;
}
