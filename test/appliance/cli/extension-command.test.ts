import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ARGV_PASSWORD_WARNING } from '../../../appliance/cli/read-secret.ts';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { openStore } from '../../../system/store/index.ts';

/** `extension add|list|remove` through the real CLI entry against a temp config and data dir. */
const dir = mkdtempSync(join(tmpdir(), 'appliance-cli-'));
const configFile = join(dir, 'appliance.toml');
writeFileSync(configFile, `data_dir = "${join(dir, 'data')}"\n[sip]\nlisten = "192.168.1.10"\ndomain = "office.lan"\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'Blue-Phone-4242';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--config', configFile, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('extension CLI', () => {
  test('add prints what it did; a password in argv works but warns that ps shows it', async () => {
    expect(await cli('extension', 'add', '201', '--password', PASSWORD, '--name', 'Reception', '--e164', '+15551234567'))
      .toEqual({ code: 0, out: 'added extension 201 (Reception) in domain office.lan', err: ARGV_PASSWORD_WARNING });
    expect(await cli('extension', 'add', '202', `--password=${PASSWORD}x`)).toEqual({ code: 0, out: 'added extension 202 in domain office.lan', err: ARGV_PASSWORD_WARNING });
  });

  test('list shows number, name, E.164, realm', async () => {
    expect(await cli('extension', 'list')).toEqual({ code: 0, out: '201\tReception\t+15551234567\toffice.lan\tdigest=default\tcalls=national\n202\t-\t-\toffice.lan\tdigest=default\tcalls=national', err: '' });
  });

  test('the store keeps HA1 hashes (RFC 2617 §3.2.2.2), never the password', () => {
    const store = openStore(join(dir, 'data'));
    try {
      const rec = store.extensions.get('201')!;
      expect(rec.ha1Md5).toBe(createHash('md5').update(`201:office.lan:${PASSWORD}`).digest('hex'));
      expect(rec.ha1Sha256).toBe(createHash('sha256').update(`201:office.lan:${PASSWORD}`).digest('hex'));
      // Checkpoint the WAL so every byte written is in files we can read.
      store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } finally {
      store.close();
    }
    const files = readdirSync(join(dir, 'data'));
    expect(files).toContain('appliance.sqlite');
    for (const f of files) {
      const bytes = readFileSync(join(dir, 'data', f));
      expect(bytes.includes(PASSWORD)).toBe(false);
      expect(bytes.includes(Buffer.from(PASSWORD, 'utf16le'))).toBe(false);
    }
  });

  const failures: [string, string[], number, RegExp][] = [
    ['duplicate number', ['extension', 'add', '201', '--password', PASSWORD], 1, /extension 201 already exists/],
    ['E.164 taken', ['extension', 'add', '203', '--password', PASSWORD, '--e164', '+15551234567'], 1, /already used/],
    ['number with letters', ['extension', 'add', '20a', '--password', PASSWORD], 1, /invalid extension number "20a"/],
    ['number too long', ['extension', 'add', '12345678901', '--password', PASSWORD], 1, /2 to 10 digits/],
    ['an emergency number (issue 14)', ['extension', 'add', '911', '--password', PASSWORD], 1, /"911" is an emergency number/],
    ['bad E.164', ['extension', 'add', '204', '--password', PASSWORD, '--e164', '5551234567'], 1, /invalid E\.164 number/],
    ['short password', ['extension', 'add', '205', '--password', 'Ab1!'], 1, /password is too weak: use at least 10/],
    ['common password with digits', ['extension', 'add', '205', '--password', 'Password201'], 1, /password is too weak: .*commonly used/],
    ['one repeated letter', ['extension', 'add', '205', '--password', 'Aaaaaaaaaa1'], 1, /password is too weak/],
    ['keyboard walk', ['extension', 'add', '205', '--password', 'qwertyuiop12'], 1, /password is too weak/],
    ['the extension number and domain', ['extension', 'add', '205', '--password', 'office.lan205!'], 1, /password is too weak/],
    ['no password', ['extension', 'add', '205'], 1, /a password is required/],
    ['no number', ['extension', 'add'], 64, /extension add needs a number/],
    ['unknown option', ['extension', 'add', '205', '--password', PASSWORD, '--colour', 'red'], 64, /unknown option --colour/],
    ['option without value', ['extension', 'add', '205', '--password'], 64, /--password needs a value/],
    ['unknown verb', ['extension', 'rename', '201'], 64, /unknown extension command "rename"/],
    ['extra argument', ['extension', 'remove', '201', '202'], 64, /unexpected argument "202"/],
    ['unknown command', ['frobnicate'], 64, /unknown command "frobnicate"/],
    ['remove a missing extension', ['extension', 'remove', '299'], 1, /extension 299 does not exist/],
  ];
  for (const [name, argv, code, message] of failures) {
    test(`${name} → exit ${code}`, async () => {
      const r = await cli(...argv);
      expect(r.code).toBe(code);
      expect(r.out).toBe('');
      const error = r.err.replace(`${ARGV_PASSWORD_WARNING}\n`, '');
      expect(error).toStartWith('error: ');
      expect(error).toMatch(message);
    });
  }

  test('nothing was added by the failures', async () => {
    expect((await cli('extension', 'list')).out.split('\n').map((l) => l.split('\t')[0])).toEqual(['201', '202']);
  });

  test('digest: set per extension, shown in the list, bad values refused naming the choices', async () => {
    expect(await cli('extension', 'digest', '202', 'sha-256')).toEqual({ code: 0, out: 'extension 202: digest sha-256 (what its phones proved before is forgotten)', err: '' });
    expect((await cli('extension', 'list')).out.split('\n')[1]).toBe('202\t-\t-\toffice.lan\tdigest=sha-256\tcalls=national');
    const bad = await cli('extension', 'digest', '202', 'sha-1');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('default, md5, both, sha-256');
    expect((await cli('extension', 'digest', '202')).code).not.toBe(0);
    expect((await cli('extension', 'digest', '202', 'default')).code).toBe(0);
  });

  test('permit: call class, limits and caller ID set and shown; bad values refused naming the field', async () => {
    const ok = await cli('extension', 'permit', '202', '--class', 'international', '--max-calls', '4', '--per-hour', '10', '--caller-id', '+15551230202');
    expect(ok).toEqual({ code: 0, out: 'extension 202: calls up to international, 4 outside calls at once, 10 an hour, caller ID +15551230202', err: '' });
    expect((await cli('extension', 'list')).out.split('\n')[1]).toEndWith('calls=international');
    const bad = await cli('extension', 'permit', '202', '--class', 'everything');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('call class must be one of internal, local, national, international, premium');
    expect((await cli('extension', 'permit', '202', '--caller-id', 'x\r\nVia: evil')).code).toBe(1);
    expect((await cli('extension', 'permit', '202', '--caller-id', 'none', '--class', 'national')).out).toContain("caller ID the trunk's");
  });

  test('remove, then list', async () => {
    const removed = await cli('extension', 'remove', '202');
    expect(removed.code).toBe(0);
    expect(removed.out.split('\n')[0]).toBe('removed extension 202');
    expect((await cli('extension', 'list')).out).toBe('201\tReception\t+15551234567\toffice.lan\tdigest=default\tcalls=national');
  });

  test('a missing config file → exit 1 naming it', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--config', join(dir, 'nope.toml'), 'extension', 'list'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cannot read .*nope\.toml/);
  });

  test('no command words: start the appliance (undefined); --help: usage, exit 0', async () => {
    expect(await runCli(['--config', configFile], { out: () => {}, err: () => {} })).toBeUndefined();
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('extension add <number> --password -');
  });
});
