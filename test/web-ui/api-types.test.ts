import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { localReplyShapes } from './support/api-reply-shapes.ts';

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
    expect(serverImports(join(ROOT, 'types.ts')).length).toBeGreaterThanOrEqual(25);
  });

  // A copy of a reply's shape would let the API rename a field without the UI's type check
  // (tsc -p . covers web-ui/) noticing; an alias of the producer's type cannot drift.
  test('types.ts declares no reply shape of its own', () => {
    const text = readFileSync(join(ROOT, 'types.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*(export\s+)?interface\s/m);
  });

  const imported = new Set([...readFileSync(join(ROOT, 'types.ts'), 'utf8').matchAll(/^import type \{([^}]*)\}/gm)]
    .flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!)));
  test.each(['Snapshot', 'Extension', 'RingGroup', 'CallFeatures', 'FeatureCodes', 'DigestPolicy', 'CallClass', 'Origin', 'Sample', 'CallRecord', 'DialPlan', 'Trunk', 'DnsList', 'DnsRecord',
    'SystemInfo', 'TlsInfo', 'CertInfo', 'Restored', 'ScheduledBackups', 'Ban', 'Provisioning', 'ImportReply', 'ImportRowError', 'HangupReply',
    'Ladder', 'Step', 'CallRecords', 'PolicyEdits', 'HandOffReply', 'SituationReply', 'ReloadReply', 'Session'])(
    '%s is the producer\'s type, not a copy', (name) => {
      const rhs = new RegExp(`^export type ${name} = (\\w+)[\\[;<]`, 'm').exec(readFileSync(join(ROOT, 'types.ts'), 'utf8'))?.[1];
      expect(rhs).toBeDefined();
      expect(imported.has(rhs!)).toBe(true);
    });

  // Pages and types.ts alike (issue 13 item 10): a page that declared a reply's shape itself
  // (system.ts, security.ts, calls.ts' HangupReply, ladder.ts, …: 20 places before) read it
  // unchecked against the route. Found by the type checker: written as api<T>, inferred from
  // where the reply goes, or cast to an inline shape.
  test('no page reads an API reply as a shape of its own', () => {
    expect(localReplyShapes(resolve(ROOT, '..'))).toEqual([]);
  }, 60_000);

  test('each kind of local reply shape is found (probe files compiled with web-ui/)', () => {
    const probe = [
      "import { api } from '../api.ts';",
      'interface Mine { a: number }',
      'export async function probe(): Promise<void> {',
      "  await api<{ ok: boolean }>('GET', '/a');",
      "  await api<Mine[]>('GET', '/b');",
      "  const inferred: { message: string } = await api('GET', '/c');",
      "  const cast = (await api('GET', '/d')) as { row: number }[];",
      "  const named = await api<import('../types.ts').Ban[]>('GET', '/e');",
      '  void inferred; void cast; void named;',
      '}',
    ].join('\n');
    expect(localReplyShapes(resolve(ROOT, '..'), { 'pages/zz-probe.ts': probe })).toEqual([
      'pages/zz-probe.ts:4 api() read as { ok: boolean; }',
      'pages/zz-probe.ts:5 api() read as Mine',
      'pages/zz-probe.ts:6 api() read as { message: string; }',
      'pages/zz-probe.ts:7 as { row: number }[]',
      // The cast types the call too (T is inferred from it).
      'pages/zz-probe.ts:7 api() read as { row: number; }',
    ]);
  }, 60_000);

  test.each(files.map((f) => [f.slice(ROOT.length + 1)]))('%s imports the server only as types', (rel) => {
    for (const line of serverImports(join(ROOT, rel))) expect(line).toMatch(/^(import|export) type /);
  });
});
