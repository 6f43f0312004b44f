import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { loadConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { requireTool } from '../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippMessages } from '../support/sipp.ts';

/**
 * The appliance as it runs in production (`bun appliance/main.ts`, two workers), with
 * `[log] format = "json"` and SIP at debug: every stdout line is one JSON object; the control
 * section's events and the workers' lines are there; neither the extension's password, nor the
 * REGISTER's Authorization (its digest response), nor the trunk's password appears anywhere in
 * stdout or stderr. Loopback 127.0.220.30-39.
 */
const HOST = '127.0.220.30';
const PHONE = '127.0.220.31';
const PW = 'Json-Log-Pass-601';
const TRUNK_PW = 'trunk-secret-Zq81xv';
const ROOT = resolve(import.meta.dir, '../..');
const hasSipp = requireTool('sipp');

let dir: string;
let proc: ReturnType<typeof Bun.spawn>;
let stdout: Promise<string>;
let stderr: Promise<string>;
let sipPort: number;
let authorization = '';

describe.skipIf(!hasSipp)('main.ts with [log] format = "json"', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'json-log-'));
    sipPort = await freePort(HOST);
    const configPath = join(dir, 'appliance.toml');
    writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp"]
[dns]
enabled = false
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 2
max_workers = 2
stop_grace_seconds = 1
[log]
format = "json"
level = "info"
[log.areas]
sip = "debug"
[[trunks]]
name = "provider"
registrar = "127.0.220.39:${await freePort('127.0.220.39')}"
username = "5551230000"
password = "${TRUNK_PW}"
[emergency]
trunk = "provider"
`);
    const store = openStore(loadConfig(configPath).dataDir);
    new ExtensionService(store, 'office.lan').add({ number: '601', password: PW });
    store.close();
    proc = Bun.spawn([process.execPath, join(ROOT, 'appliance/main.ts'), '--config', configPath], { stdout: 'pipe', stderr: 'pipe', cwd: dir });
    stdout = new Response(proc.stdout as ReadableStream).text();
    stderr = new Response(proc.stderr as ReadableStream).text();
    // Up when the workers answer: a REGISTER with digest (401, then credentials, then 200).
    const until = Date.now() + 20_000;
    let reg;
    do {
      await Bun.sleep(300);
      reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '601', '-au', '601', '-ap', PW, '-key', 'expires', '600',
        `${HOST}:${sipPort}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 3);
    } while (reg.code !== 0 && Date.now() < until);
    expect(reg.code).toBe(0);
    authorization = /^Authorization:.*$/im.exec(await sippMessages(reg))?.[0] ?? '';
    await Bun.sleep(300);
    proc.kill('SIGTERM');
    await proc.exited;
  }, 40_000);
  afterAll(() => {
    proc?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('every stdout line is one JSON object with ts, level, area, kind, msg', async () => {
    const lines = (await stdout).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(5);
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not JSON: ${l}`);
      }
    });
    for (const r of records) {
      expect(typeof r.ts === 'string' && !Number.isNaN(Date.parse(r.ts))).toBe(true);
      expect(['debug', 'info', 'warn', 'error']).toContain(r.level as string);
      expect(r.kind as string).toMatch(/^[a-z][a-z0-9._-]*$/);
      expect((r.kind as string).startsWith(`${r.area}`)).toBe(true);
      expect(typeof r.msg).toBe('string');
    }
    const kinds = records.map((r) => r.kind);
    // The control section's events, its status lines, and the workers' own lines.
    for (const k of ['control.start', 'control.worker.ready', 'web', 'control.stopping', 'control.stop']) expect(kinds).toContain(k);
    const requests = records.filter((r) => r.kind === 'sip.request');
    expect(requests.length).toBeGreaterThanOrEqual(2); // at debug: the challenged REGISTER and the one with credentials
    expect(requests.every((r) => r.level === 'debug' && typeof r.worker === 'number')).toBe(true);
    expect(requests.some((r) => (r.msg as string).startsWith('REGISTER sip:'))).toBe(true);
    // Info areas stay at info: no debug line from anything but sip.
    expect(records.filter((r) => r.level === 'debug').every((r) => r.area === 'sip')).toBe(true);
  });

  test('secrets are in no line: passwords, the Authorization header and its digest response', async () => {
    const all = `${await stdout}\n${await stderr}`;
    const response = /response="([0-9a-f]+)"/i.exec(authorization)?.[1];
    expect(response).toBeDefined();
    for (const secret of [PW, TRUNK_PW, response!, 'Authorization', 'authorization']) expect(all).not.toContain(secret);
  });
});
