import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';
import { startTrunkBoard } from '../../../appliance/control/trunk-board-start.ts';

/** The trunks board at start: the file's password sealed into the store, a contradicted store entry skipped, both logged. */
const root = mkdtempSync(join(tmpdir(), 'trunk-board-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (dir: string, password: string) => parseConfig(`data_dir = "${dir}"
[[trunks]]
name = "provider"
registrar = "192.0.2.10"
username = "5551230000"
${password}
[emergency]
trunk = "provider"
`, join(root, 'test.toml'));

describe('startTrunkBoard', () => {
  test('the file\'s password is sealed into the store (logged once, naming the trunk); a clashing store trunk is left out with why', () => {
    const dir = join(root, 'a');
    const store = openStore(dir);
    store.outsideLine.add('trunk', 'provider', { name: 'provider', registrar: '192.0.2.99', username: 'u', register: false });
    const logged: [string, string, Record<string, unknown> | undefined][] = [];
    const board = startTrunkBoard(config(dir, 'password = "File-Pass-1"'), store, (kind, message, details) => logged.push([kind, message, details]));
    expect(board.list().map((t) => t.name)).toEqual(['provider']);
    expect(board.trunk('provider')?.registrarHost).toBe('192.0.2.10');
    expect(logged.map(([k]) => k)).toEqual(['trunk.password.stored', 'trunk.entry.skipped']);
    expect(logged[0][2]).toEqual({ trunks: ['provider'] });
    expect(logged[1][1]).toContain('is used by another trunk');
    // Next start without the password in the file: the stored one is used, nothing to seal.
    logged.length = 0;
    store.outsideLine.remove(store.outsideLine.list('trunk')[0].id);
    const again = startTrunkBoard(config(dir, ''), store, (kind, message, details) => logged.push([kind, message, details]));
    expect(again.trunk('provider')?.password).toBe('File-Pass-1');
    expect(logged).toEqual([]);
    store.close();
  });
});
