import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * web-ui/ reaches the appliance only through its API (DESIGN.md layering): it may name the
 * API's reply types (web-ui/types.ts, issue 13 item 10), but only with `import type`, which
 * the bundler erases, so no server code reaches the browser bundle.
 */
const ROOT = join(import.meta.dir, '../../web-ui');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Every import statement of a file that names a module outside web-ui/ (appliance/, system/). */
function serverImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(import|export)\b[^;]*?from\s+'((?:\.\.\/)+(?:appliance|system)\/[^']+)'/gm)].map((m) => m[0].trim());
}

describe('web-ui and the API types', () => {
  const files = sources(ROOT);
  test('the sources are found', () => {
    expect(files.some((f) => f.endsWith('types.ts'))).toBe(true);
  });

  test('types.ts takes the API\'s own reply types', () => {
    expect(serverImports(join(ROOT, 'types.ts')).length).toBeGreaterThanOrEqual(14);
  });

  // A copy of a reply's shape would let the API rename a field without the UI's type check
  // (tsc -p . covers web-ui/) noticing; an alias of the producer's type cannot drift.
  test('types.ts declares no reply shape of its own', () => {
    const text = readFileSync(join(ROOT, 'types.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*(export\s+)?interface\s/m);
  });

  const imported = new Set([...readFileSync(join(ROOT, 'types.ts'), 'utf8').matchAll(/^import type \{([^}]*)\}/gm)]
    .flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!)));
  test.each(['Snapshot', 'Extension', 'RingGroup', 'CallFeatures', 'FeatureCodes', 'DigestPolicy', 'CallClass', 'Origin', 'Sample', 'CallRecord', 'DialPlan', 'Trunk', 'DnsList', 'DnsRecord'])(
    '%s is the producer\'s type, not a copy', (name) => {
      const rhs = new RegExp(`^export type ${name} = (\\w+)[\\[;<]`, 'm').exec(readFileSync(join(ROOT, 'types.ts'), 'utf8'))?.[1];
      expect(rhs).toBeDefined();
      expect(imported.has(rhs!)).toBe(true);
    });

  test.each(files.map((f) => [f.slice(ROOT.length + 1)]))('%s imports the server only as types', (rel) => {
    for (const line of serverImports(join(ROOT, rel))) expect(line).toMatch(/^(import|export) type /);
  });
});
