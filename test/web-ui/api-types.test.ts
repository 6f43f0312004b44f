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
    expect(serverImports(join(ROOT, 'types.ts')).length).toBeGreaterThanOrEqual(8);
  });

  test.each(files.map((f) => [f.slice(ROOT.length + 1)]))('%s imports the server only as types', (rel) => {
    for (const line of serverImports(join(ROOT, rel))) expect(line).toMatch(/^(import|export) type /);
  });
});
