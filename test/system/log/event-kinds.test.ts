import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_KINDS } from '../../../system/log/event-kinds.ts';

const root = join(import.meta.dir, '../../..');

/** The kinds docs/LOGGING.md "Event kinds" lists: the first cell of each table row of that section. */
function documentedKinds(): string[] {
  const text = readFileSync(join(root, 'docs/LOGGING.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Event kinds'));
  if (!section) throw new Error('docs/LOGGING.md has no "## Event kinds" section');
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

describe('event kinds (issue 13 item 6)', () => {
  test('the union and docs/LOGGING.md list the same kinds, each once, in the same order', () => {
    const documented = documentedKinds();
    expect(documented.length).toBeGreaterThan(0);
    expect(new Set(documented).size).toBe(documented.length);
    expect(new Set(EVENT_KINDS).size).toBe(EVENT_KINDS.length);
    expect(documented.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k))).toEqual([]);
    expect(EVENT_KINDS.filter((k) => !documented.includes(k))).toEqual([]);
    expect(documented).toEqual([...EVENT_KINDS].sort());
  });

  test.each(EVENT_KINDS.map((k) => [k]))('%p is area.what in lower case, its area a [log] area', (kind) => {
    expect(kind).toMatch(/^(admin|appliance|backup|control|peer|sip|trunk)\.[a-z0-9-]+(\.[a-z0-9-]+)*$/);
  });

  test('every kind the sources write is in the union (no kind outside it, none unused)', () => {
    const written = new Set<string>();
    const glob = new Bun.Glob('{appliance,system}/**/*.ts');
    for (const file of glob.scanSync(root)) {
      if (file.endsWith('event-kinds.ts')) continue;
      const src = readFileSync(join(root, file), 'utf8');
      for (const m of src.matchAll(/'((?:admin|appliance|backup|control|peer|sip|trunk)\.[a-z0-9.-]+)'/g)) written.add(m[1]);
    }
    // Quoted area.word strings that are not event kinds: config keys in messages, the store's file name.
    const notKinds = [...written].filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
    for (const k of notKinds) expect(k).toMatch(/^(sip\.(advertise|domain|listen|port|tls(\.\w+)?|transports)|appliance\.sqlite|control\.token)$/);
    expect(EVENT_KINDS.filter((k) => !written.has(k))).toEqual([]);
  });
});
