import { afterAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../../system/store/index.ts';

/**
 * `extension add --password -` in a real CLI process: the password comes through stdin, so it
 * is never in the process's argv (/proc/<pid>/cmdline, what `ps` shows), read while the
 * process waits for it.
 */
const MAIN = resolve(import.meta.dir, '../../../appliance/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'cli-stdin-'));
const configFile = join(dir, 'appliance.toml');
writeFileSync(configFile, `data_dir = "${join(dir, 'data')}"\n[sip]\nlisten = "127.0.20.1"\ndomain = "office.lan"\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'Violet-Desk-Lamp-731';

function spawnCli(...argv: string[]) {
  return Bun.spawn([process.execPath, MAIN, '--config', configFile, ...argv], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
}

async function finish(proc: ReturnType<typeof spawnCli>) {
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { out: out.trim(), err: err.trim(), code };
}

describe('CLI passwords from stdin', () => {
  test('--password - reads the password from stdin; it never appears in argv', async () => {
    const proc = spawnCli('extension', 'add', '210', '--password', '-', '--name', 'Lobby');
    // The process is up and waiting on stdin: what every local user can read of it.
    let cmdline = '';
    for (let i = 0; i < 100 && !cmdline.includes('--password'); i++) {
      await Bun.sleep(20);
      cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
    }
    expect(cmdline.split('\0')).toContain('-');
    expect(cmdline).not.toContain(PASSWORD);
    proc.stdin.write(`${PASSWORD}\n`);
    await proc.stdin.end();
    const r = await finish(proc);
    expect(r).toEqual({ code: 0, out: 'added extension 210 (Lobby) in domain office.lan', err: '' });

    const store = openStore(join(dir, 'data'));
    try {
      expect(store.extensions.get('210')!.ha1Md5).toBe(createHash('md5').update(`210:office.lan:${PASSWORD}`).digest('hex'));
    } finally {
      store.close();
    }
  }, 15_000);

  test('a weak password on stdin is refused with the reason; an empty stdin says what is missing', async () => {
    const weak = spawnCli('extension', 'add', '211', '--password', '-');
    weak.stdin.write('Password201\n');
    await weak.stdin.end();
    const w = await finish(weak);
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/^error: password is too weak: .*commonly used/);

    const empty = spawnCli('extension', 'add', '211', '--password', '-');
    await empty.stdin.end();
    const e = await finish(empty);
    expect(e.code).toBe(64);
    expect(e.err).toBe('error: no password on stdin (--password - reads one line)');
  }, 15_000);
});
