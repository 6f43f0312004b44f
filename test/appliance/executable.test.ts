/**
 * The one executable (issue 17): package.json's build command makes the binary in a temp dir
 * (not dist/), which then runs from a directory holding only its config file and
 * data dir: two workers (the binary in worker mode), OPTIONS answered, a REGISTER with digest
 * accepted (sipp), the embedded web UI served (page and script), the admin CLI working, its
 * scheduled backups written.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { awaitOptions200, buildExecutable } from '../support/executable.ts';
import { requireTool } from '../support/require-tool.ts';
import { SipUdpPeer } from '../support/sip-udp-peer.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS } from '../support/sipp.ts';

const HOST = '127.0.210.1';
const PHONE = '127.0.210.2';
const PW = 'Image-Pass-2041';
const hasSipp = requireTool('sipp');

describe('the built executable', () => {
  const buildDir = mkdtempSync(join(tmpdir(), 'image-build-'));
  const runDir = mkdtempSync(join(tmpdir(), 'image-run-'));
  const exe = join(buildDir, 'office-appliance');
  let proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
  let output = '';
  let sipPort = 0;
  let webPort = 0;
  let startMs: number | undefined;
  let successorPid: number | undefined;

  beforeAll(async () => {
    await buildExecutable(exe);
    sipPort = await freePort(HOST);
    webPort = await freeTcpPort(HOST);
    writeFileSync(join(runDir, 'appliance.toml'), `data_dir = "data"
[sip]
listen = "${HOST}"
port = ${sipPort}
worker_port_base = 0
transports = ["udp"]
[dns]
enabled = false
[web]
listen = "${HOST}"
port = ${webPort}
[control]
min_workers = 2
max_workers = 2
[backups]
schedule = "* * * * * *"
retention = 1
passphrase_file = "backup.pass"
`);
    writeFileSync(join(runDir, 'backup.pass'), 'harbour violet sleet 9031 kiln\n', { mode: 0o600 });
    // The admin CLI of the binary itself, on the store it creates (embedded migrations).
    const add = Bun.spawnSync([exe, '--config', 'appliance.toml', 'extension', 'add', '2041', '--password', '-'], { cwd: runDir, stdin: Buffer.from(`${PW}\n`) });
    if (add.exitCode !== 0) throw new Error(`extension add: ${add.stderr.toString()}`);

    const probe = await SipUdpPeer.open(PHONE);
    const t0 = performance.now();
    proc = Bun.spawn([exe, '--config', 'appliance.toml'], { cwd: runDir, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    for (const stream of [proc.stdout, proc.stderr]) void (async () => { for await (const c of stream as unknown as AsyncIterable<Uint8Array>) output += new TextDecoder().decode(c); })();
    const waited = await awaitOptions200(probe, HOST, sipPort, 15_000);
    startMs = waited === undefined ? undefined : performance.now() - t0;
    probe.close();
    console.log(`executable: ${(statSync(exe).size / 1e6).toFixed(1)} MB, exec → first OPTIONS 200: ${startMs?.toFixed(0)} ms`);
  }, 60_000);

  afterAll(async () => {
    proc?.kill('SIGTERM');
    await proc?.exited;
    // The successor of the upgrade test, the only other process this file started.
    if (successorPid !== undefined && alive(successorPid)) {
      process.kill(successorPid, 'SIGTERM');
      for (let i = 0; i < 150 && alive(successorPid); i++) await Bun.sleep(100);
      if (alive(successorPid)) process.kill(successorPid, 'SIGKILL');
    }
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
  });

  test('answers OPTIONS once started from another directory', () => {
    expect(startMs, output).toBeDefined();
  });

  test('runs two connection control sections: the same binary in worker mode', async () => {
    for (let i = 0; i < 100 && (output.match(/control\.worker\.ready/g) ?? []).length < 2; i++) await Bun.sleep(50);
    const pids = [...output.matchAll(/connection control section \d+ running \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length, output).toBe(2);
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv[0]).toBe(exe);
      expect(argv[1]).toBe('connection-control');
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]).toBe(String(proc!.pid));
    }
  });

  test.skipIf(!hasSipp)('accepts a REGISTER with digest (sipp)', async () => {
    const r = await runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '2041', '-au', '2041', '-ap', PW, '-key', 'expires', '60',
      `${HOST}:${sipPort}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 15);
    expect(r.code, r.out).toBe(0);
  }, 20_000);

  test('serves the embedded web UI: the page and the script it names', async () => {
    const base = `https://${HOST}:${webPort}`;
    const page = await fetch(`${base}/`, { tls: { rejectUnauthorized: false } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(script, html).toMatch(/^\/[\w.-]+\.js$/);
    const js = await fetch(`${base}${script}`, { tls: { rejectUnauthorized: false } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(10_000);
    const css = /<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/.exec(html)?.[1];
    expect((await fetch(`${base}${css}`, { tls: { rejectUnauthorized: false } })).status).toBe(200);
  });

  test('writes its scheduled encrypted backups under the data dir (every second here, 1 kept)', async () => {
    const dir = join(runDir, 'data', 'backups');
    const names = () => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.osabk')) : []);
    for (let i = 0; i < 100 && names().length === 0; i++) await Bun.sleep(100);
    expect(names(), output).toHaveLength(1);
    expect(readFileSync(join(dir, names()[0])).subarray(0, 8).toString('latin1')).toBe('OSABKENC');
  }, 15_000);

  test('install --dry-run: the unit runs this binary with the absolute config path', () => {
    const r = Bun.spawnSync([exe, '--config', 'appliance.toml', 'install', '--dry-run'], { cwd: runDir });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain(`ExecStart=${exe} --config ${join(runDir, 'appliance.toml')}\n`);
  });

  test('worker mode refuses to start from a shell (no IPC channel)', () => {
    const r = Bun.spawnSync([exe, 'connection-control', '--config', 'appliance.toml'], { cwd: runDir });
    expect(r.exitCode).toBe(64);
    expect(r.stderr.toString()).toContain('started by the appliance itself');
  });

  // Last: it replaces the process the tests above talk to.
  test('upgrade: a new binary moved over the old one takes over; the new control section and its workers run the new file', async () => {
    const before = statSync(exe).ino;
    // As `install -m 0755` or cp + mv do: a new file under the same name, the running one untouched.
    copyFileSync(exe, `${exe}.new`);
    renameSync(`${exe}.new`, exe);
    expect(statSync(exe).ino).not.toBe(before);
    expect(readlinkSync(`/proc/${proc!.pid}/exe`)).toBe(`${exe} (deleted)`);
    const t0 = performance.now();
    const r = Bun.spawnSync([exe, '--config', 'appliance.toml', 'upgrade'], { cwd: runDir });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    successorPid = Number(/control section (\d+) runs its workers/.exec(r.stdout.toString())?.[1]);
    expect(successorPid, r.stdout.toString()).toBeGreaterThan(0);
    expect(await Promise.race([proc!.exited, Bun.sleep(30_000).then(() => 'still running')])).toBe(0);
    const tookMs = performance.now() - t0;
    expect(readlinkSync(`/proc/${successorPid}/exe`)).toBe(exe);
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && alive(Number(d)) && parentOf(Number(d)) === successorPid);
    const workers = children.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] === 'connection-control');
    expect(workers.length, output).toBe(2);
    for (const pid of workers) expect(readlinkSync(`/proc/${pid}/exe`)).toBe(exe);
    const probe = await SipUdpPeer.open(PHONE);
    const answered = await awaitOptions200(probe, HOST, sipPort, 5_000);
    probe.close();
    expect(answered).toBeDefined();
    console.log(`executable upgrade: upgrade command → old control section exited after ${tookMs.toFixed(0)} ms; successor pid ${successorPid} on the new file`);
  }, 45_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } catch {
    return undefined;
  }
}
