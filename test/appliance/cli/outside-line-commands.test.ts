import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { openStore } from '../../../system/store/index.ts';

/** `trunk add|change|password|remove|emergency|list`, `route ...`, `inbound ...` through the real CLI entry on a stopped appliance's store (issue 14). */
const dir = mkdtempSync(join(tmpdir(), 'appliance-cli-trunks-'));
const configFile = join(dir, 'appliance.toml');
writeFileSync(configFile, `data_dir = "${join(dir, 'data')}"
[sip]
listen = "192.168.1.10"
domain = "office.lan"
[web]
port = 1
[[trunks]]
name = "provider"
registrar = "192.0.2.10"
username = "5551230000"
password = "Config-Trunk-Pass-1"
[emergency]
trunk = "provider"
`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
{
  const store = openStore(join(dir, 'data'));
  new ExtensionService(store, 'office.lan').add({ number: '201', password: 'Quiet-Lamp-2017' });
  store.close();
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--config', configFile, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('outside line CLI', () => {
  test('trunk add (a password on the command line warns), list with origins, the appliance told or not', async () => {
    const r = await cli('trunk', 'add', 'backup', '--registrar', '192.0.2.20:5070', '--username', 'office', '--password', 'Backup-Pass-2', '--keepalive', '60');
    expect(r.code).toBe(0);
    expect(r.out).toContain('added trunk backup (password sealed in the store)');
    expect(r.out).toContain('the appliance was not told');
    expect(r.err).toContain('visible to other local users');
    const list = await cli('trunk', 'list');
    expect(list.out).toBe('provider\tunknown\t-\t-\t192.0.2.10\tconfig\nbackup\tunknown\t-\t-\t192.0.2.20:5070\tstore');
    expect(`${list.out}${list.err}`).not.toContain('Backup-Pass-2');
    const store = openStore(join(dir, 'data'));
    expect(store.secrets.get('trunk:backup')).toBe('Backup-Pass-2');
    expect(store.outsideLine.byName('trunk', 'backup')?.entry).toEqual({ name: 'backup', registrar: '192.0.2.20:5070', username: 'office', keepalive: 60 });
    store.close();
  });

  test('routes and inbound numbers: added, listed in order with origins, removed', async () => {
    expect((await cli('route', 'add', 'local', '--pattern', '^9([2-9][0-9]{6})$', '--replace', '+1555$1', '--trunk', 'backup', '--class', 'local', '--failover', 'provider')).code).toBe(0);
    expect((await cli('route', 'list')).out).toBe('1\tlocal\t^9([2-9][0-9]{6})$\t+1555$1\tbackup\tlocal\tprovider\tstore');
    const added = await cli('inbound', 'add', '--did', '*', '--trunk', 'backup', '--to', '201');
    expect(added.code).toBe(0);
    const id = /added inbound number (\d+)/.exec(added.out)![1];
    expect((await cli('inbound', 'list')).out).toBe(`${id}\t*\tbackup\t201\tstore`);
    expect((await cli('inbound', 'remove', id)).code).toBe(0);
    expect((await cli('route', 'remove', 'local')).code).toBe(0);
    expect((await cli('route', 'list')).out).toBe('no routes');
  });

  test('refusals name what is wrong; nothing changes', async () => {
    const cases: [string[], RegExp][] = [
      [['route', 'add', 'r', '--pattern', '^9(1', '--trunk', 'backup', '--class', 'local'], /pattern: "\^9\(1" is not a valid regular expression/],
      [['route', 'add', 'r', '--pattern', '^(1|11)*$', '--trunk', 'backup', '--class', 'local'], /pattern: .*catastrophic backtracking/],
      [['route', 'add', 'r', '--pattern', '^1$', '--trunk', 'nope', '--class', 'local'], /trunk: names no trunk/],
      [['route', 'add', 'r;rm -rf', '--pattern', '^1$', '--trunk', 'backup', '--class', 'local'], /name: .* is not a name/],
      [['trunk', 'add', 'provider', '--registrar', '192.0.2.9', '--username', 'u', '--password', 'Pass-Word-1'], /name: "provider" is used by another trunk/],
      [['trunk', 'add', 'x', '--registrar', '192.0.2.9', '--username', 'u'], /password: is required/],
      [['trunk', 'add', 'x', '--registrar', '192.0.2.9', '--username', 'u', '--register', 'maybe'], /--register needs yes or no/],
      [['trunk', 'remove', 'provider'], /from the config file/],
      [['trunk', 'password', 'provider', '--password', 'New-Pass-1'], /password in the config file/],
      [['trunk', 'emergency', 'backup'], /set in the config file/],
      [['inbound', 'add', '--did', '+15551230100', '--trunk', 'backup', '--to', '999'], /to: 999 is not an extension or a ring group/],
      [['inbound', 'remove', 'x'], /needs an id/],
      [['trunk', 'frobnicate', 'x'], /unknown trunk command/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    }
    const store = openStore(join(dir, 'data'));
    expect(store.outsideLine.list().map((e) => e.name)).toEqual(['backup']);
    store.close();
  });

  test('a stored trunk: password set anew, removed with its secret', async () => {
    expect((await cli('trunk', 'password', 'backup', '--password', 'Backup-Pass-3')).code).toBe(0);
    expect((await cli('trunk', 'remove', 'backup')).code).toBe(0);
    const store = openStore(join(dir, 'data'));
    expect(store.secrets.has('trunk:backup')).toBe(false);
    expect(store.outsideLine.list()).toEqual([]);
    store.close();
  });
});
