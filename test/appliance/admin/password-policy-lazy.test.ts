import { expect, test } from 'bun:test';
import { resolve } from 'node:path';

/**
 * The password estimator's dictionaries (~430,000 strings, 18 MB of heap) load on first use
 * (password-policy.ts): a connection control section, which never checks a password, must not
 * hold them (each full collection would mark them). A fresh process imports what a worker
 * imports and counts the strings on its heap; a password check then loads them.
 */
const SCRIPT = `
import { heapStats } from 'bun:jsc';
await import(${JSON.stringify(resolve(import.meta.dir, '../../../appliance/connection-control/connection-control.ts'))});
Bun.gc(true);
const before = heapStats().objectTypeCounts.string ?? 0;
const { checkPasswordPolicy } = await import(${JSON.stringify(resolve(import.meta.dir, '../../../appliance/admin/password-policy.ts'))});
checkPasswordPolicy('Tr0ub4dor-Stapler-Horse', 'extension');
Bun.gc(true);
console.log(JSON.stringify({ before, after: heapStats().objectTypeCounts.string ?? 0 }));
`;

test("a worker's imports leave the dictionaries unloaded; the first password check loads them", () => {
  const p = Bun.spawnSync([process.execPath, '-e', SCRIPT], { stdout: 'pipe', stderr: 'pipe' });
  expect(p.exitCode).toBe(0);
  const { before, after } = JSON.parse(p.stdout.toString().trim().split('\n').pop()!);
  expect(before).toBeLessThan(50_000);
  expect(after - before).toBeGreaterThan(200_000);
}, 30_000);
