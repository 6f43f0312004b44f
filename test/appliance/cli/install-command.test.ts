/**
 * `install` through the real CLI entry: the unit it writes passes `systemd-analyze verify`
 * (a unit with a bad value does not: the check can fail), --dry-run prints the same unit, bad
 * invocations are refused, and as root it creates the data dir and hands it to the user.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { requireTool } from '../../support/require-tool.ts';

const dir = mkdtempSync(join(tmpdir(), 'install-cli-'));
const configFile = join(dir, 'appliance.toml');
writeFileSync(configFile, `data_dir = "${join(dir, 'data')}"\n[sip]\nlisten = "127.0.211.1"\n[control]\nstop_grace_seconds = 15\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasAnalyze = requireTool('systemd-analyze');

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** systemd-analyze verify: its exit code and every line it says about the unit (warnings exit 0 too). */
function verify(unitPath: string): { code: number; said: string } {
  const r = Bun.spawnSync(['systemd-analyze', 'verify', unitPath], { stdout: 'pipe', stderr: 'pipe' });
  const said = (r.stdout.toString() + r.stderr.toString()).split('\n').filter((l) => l.includes(unitPath)).join('\n');
  return { code: r.exitCode, said };
}

describe('install', () => {
  const unitPath = join(dir, 'office-appliance.service');

  test.skipIf(!hasAnalyze)('--output writes a unit that systemd-analyze verify accepts without a warning', async () => {
    const r = await cli('--config', configFile, 'install', '--output', unitPath);
    expect(r).toMatchObject({ code: 0, err: '' });
    const unit = readFileSync(unitPath, 'utf8');
    expect(unit).toContain(`ReadWritePaths=${join(dir, 'data')}\n`);
    expect(unit).toContain('TimeoutStopSec=25s\n');
    expect(verify(unitPath)).toEqual({ code: 0, said: '' });
    // The same check on a unit with one bad value complains: the test can fail.
    const broken = join(dir, 'broken.service');
    writeFileSync(broken, unit.replace('ProtectSystem=strict', 'ProtectSystem=everything'));
    expect(verify(broken).said).toContain('protect system value');
  });

  test('--dry-run prints the unit and changes nothing', async () => {
    const r = await cli('--config', configFile, 'install', '--dry-run', '--user', 'phones');
    expect(r.code).toBe(0);
    expect(r.out).toContain('User=phones\n');
    expect(r.out).toContain(`--config ${configFile}\n`);
    expect(() => statSync(join(dir, 'data'))).toThrow();
  });

  test.each([
    ['no --config', ['install', '--dry-run'], 64, 'install needs --config'],
    ['both --dry-run and --output', ['--config', configFile, 'install', '--dry-run', '--output', unitPath], 64, 'not both'],
    ['an unknown option', ['--config', configFile, 'install', '--force', 'yes'], 64, 'unknown option --force'],
    ['a user name that could inject', ['--config', configFile, 'install', '--dry-run', '--user', 'x\nUser=root'], 1, '--user'],
  ])('refuses %s', async (_name, argv, code, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  test('a data_dir systemd would split is refused, naming it, before anything is written', async () => {
    const spaced = join(dir, 'spaced.toml');
    writeFileSync(spaced, `data_dir = "${join(dir, 'my data')}"\n`);
    const r = await cli('--config', spaced, 'install', '--output', join(dir, 'spaced.service'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('data_dir');
    expect(() => statSync(join(dir, 'spaced.service'))).toThrow();
  });

  // As root (CI containers, this box): with an existing system user, nothing is added to the system but temp files.
  test.skipIf(process.getuid?.() !== 0)('as root: the data dir is made the user\'s (0700), the config readable by its group (0640), the unit written', async () => {
    const unitDir = mkdtempSync(join(dir, 'units-'));
    const r = await cli('--config', configFile, 'install', '--user', 'daemon', '--unit-dir', unitDir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('systemctl daemon-reload && systemctl enable --now office-appliance.service');
    const data = statSync(join(dir, 'data'));
    expect(data.uid).toBe(1);
    expect(data.mode & 0o777).toBe(0o700);
    expect(statSync(configFile).mode & 0o777).toBe(0o640);
    expect(statSync(configFile).gid).toBe(1);
    expect(readFileSync(join(unitDir, 'office-appliance.service'), 'utf8')).toContain('User=daemon\nGroup=daemon\n');
  });
});
