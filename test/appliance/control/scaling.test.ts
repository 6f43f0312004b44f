import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * The overload ladder with real load: sipp calls saturate one connection control section (the
 * thresholds are set low so a test-sized load counts as saturation), the control section
 * generates a second within a few samples and calls keep succeeding; when the load stops the
 * extra one is drained and retired; with no worker left to add, the excess is refused with
 * 503 + Retry-After at once instead of timing out.
 */
const hasSipp = requireTool('sipp');
const uac = join(SHARED, 'bench/sipp/uac-call.xml');
const PW = 'India-Pass-501';

let control: ControlSection | undefined;
let callee: { kill: () => void } | undefined;
let dir: string | undefined;

async function start(host: string, controlToml: string): Promise<{ port: number; phone: string }> {
  dir = mkdtempSync(join(tmpdir(), 'scaling-test-'));
  const port = await freePort(host);
  const path = join(dir, 'appliance.toml');
  const gateway = host.replace(/\.1$/, '.20');
  writeFileSync(path, `data_dir = "${dir}/data"\n[sip]\nlisten = "${host}"\nport = ${port}\ntransports = ["udp"]\ntrusted = ["${gateway}/32"]\n[dns]\nenabled = false\n[web]\nlisten = "${host}"\nport = 0\n[control]\nsample_schedule = "*/1 * * * * *"\n${controlToml}\n`);
  const config = loadConfig(path);
  const store = openStore(config.dataDir);
  new ExtensionService(store, config.sip.domain).add({ number: '501', password: PW });
  store.close();
  control = await startControlSection(config, { configArg: path, workerOutput: 'ignore' });
  const phone = host.replace(/\.1$/, '.10');
  const phonePort = await freePort(phone);
  const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '501', '-au', '501', '-ap', PW,
    '-key', 'expires', '3600', `${host}:${port}`, '-i', phone, '-p', String(phonePort), '-m', '1'], 10);
  expect(reg.code).toBe(0);
  callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', phone, '-p', String(phonePort)], 60);
  return { port, phone };
}

afterEach(async () => {
  callee?.kill();
  await control?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  control = callee = dir = undefined;
});

describe.skipIf(!hasSipp)('scaling with load', () => {
  test('saturating load generates a second worker, calls keep succeeding; idle retires it', async () => {
    const host = '127.0.7.1';
    const { port } = await start(host, [
      'min_workers = 1', 'max_workers = 2',
      'scale_out_cpu_share = 0.04', 'scale_out_samples = 2', 'scale_out_window = 3', 'scale_out_cooldown_seconds = 1',
      'scale_in_cpu_share = 0.02', 'scale_in_samples = 3', 'scale_in_window = 4', 'scale_in_cooldown_seconds = 2',
    ].join('\n'));
    expect(control!.pool.workers).toHaveLength(1);
    const t0 = Date.now();
    // About 8 s of calls over many sockets; sipp exits 0 only when every call succeeded.
    const load = runSipp(['-sf', uac, '-s', '501', `${host}:${port}`, '-i', '127.0.7.20', '-t', 'un', '-max_socket', '600', '-r', '80', '-m', '640'], 40);
    let scaledAt = 0;
    while (!scaledAt && Date.now() - t0 < 15_000) {
      if (control!.pool.workers.filter((w) => w.state === 'running').length === 2) scaledAt = Date.now();
      await Bun.sleep(100);
    }
    const r = await load;
    expect(scaledAt).toBeGreaterThan(0);
    expect(r.code).toBe(0);
    console.log(`scale-out after ${scaledAt - t0} ms of load; calls failed: 0 of 640`);
    expect(control!.store.events.recent(10, 'control.scale-out').length).toBeGreaterThanOrEqual(1);
    // Load gone: one worker is drained and retired.
    const until = Date.now() + 20_000;
    while (Date.now() < until && control!.pool.workers.length > 1) await Bun.sleep(200);
    expect(control!.pool.workers).toHaveLength(1);
    expect(control!.store.events.recent(10, 'control.scale-in').length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('overload beyond every worker is refused with 503 and Retry-After, not left to time out', async () => {
    const host = '127.0.8.1';
    const { port } = await start(host, [
      'min_workers = 1', 'max_workers = 1',
      'scale_out_cpu_share = 0.04', 'scale_out_samples = 2', 'scale_out_window = 3', 'scale_out_cooldown_seconds = 1',
      'shed_target_cpu_share = 0.05',
    ].join('\n'));
    // The Peers page's "shedding since ..." (GET /api/peers shedding), watched while the load runs.
    const seen: NonNullable<ReturnType<ControlSection['view']['sheddingStatus']>>[] = [];
    const watch = setInterval(() => {
      const s = control?.view.sheddingStatus();
      if (s) seen.push(s);
    }, 200);
    const r = await runSipp(['-sf', join(SCENARIOS, 'uac-call-or-503.xml'), '-s', '501', `${host}:${port}`, '-i', '127.0.8.20',
      '-t', 'un', '-max_socket', '900', '-r', '100', '-m', '900'], 40).finally(() => clearInterval(watch));
    // Every call either completed or was refused at once: no timeouts, no failures.
    expect(r.code).toBe(0);
    const trace = await sippMessages(r);
    expect(trace).toMatch(/SIP\/2\.0 503 Service Unavailable[\s\S]*?Retry-After: \d+/);
    expect(control!.store.events.recent(10, 'control.shed').length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.since).toBeLessThanOrEqual(Date.now());
    expect(seen[0]!.callsPerSecond).toBeGreaterThanOrEqual(1);
    expect(seen[0]!.reason).toContain('saturated');
  }, 60_000);
});
