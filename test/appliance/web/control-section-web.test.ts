import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ApplianceConfig } from '../../../system/config/index.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { startWebServer, type RunningWebServer } from '../../../appliance/web/server.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, startSippUas } from '../../support/sipp.ts';
import { ApiClient } from './support/web-fixture.ts';

/**
 * The web API over the real control section's ApplianceView (worker processes on 127.0.12.1):
 * a sipp phone registers through a worker and shows in the API; unregister removes it
 * everywhere; the history carries the workers' real reports.
 */
const HOST = '127.0.12.1';
const PHONE = '127.0.12.10';
const PW = 'Control-Pass-501';
const hasSipp = requireTool('sipp');

let dir: string;
let control: ControlSection;
let web: RunningWebServer;
let config: ApplianceConfig;
let api: ApiClient;

describe.skipIf(!hasSipp)('web API over the control section', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'control-web-'));
    const sipPort = await freePort(HOST);
    const path = join(dir, 'appliance.toml');
    writeFileSync(path, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp"]
trusted = ["127.0.12.20/32"]
[dns]
enabled = false
[web]
listen = "127.0.0.1"
port = 0
[control]
min_workers = 1
max_workers = 1
sample_schedule = "*/1 * * * * *"
`);
    config = loadConfig(path);
    const store = openStore(config.dataDir);
    new ExtensionService(store, config.sip.domain).add({ number: '501', password: PW });
    store.close();
    control = await startControlSection(config, { configArg: path, workerOutput: 'ignore' });
    web = await startWebServer({ config, store: control.store, view: control.view });
    api = new ApiClient(web.url, web.certificate?.cert);
    expect((await api.json('POST', '/api/setup', { token: web.setupToken, password: 'Control-Admin-Pw-1' })).status).toBe(201);
  }, 30_000);
  afterAll(async () => {
    await web?.stop();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a phone registered through a worker is listed, and unregistered everywhere', async () => {
    const phonePort = await freePort(PHONE);
    const r = await runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '501', '-au', '501', '-ap', PW, '-key', 'expires', '3600',
      `${HOST}:${config.sip.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 15);
    expect(r.code).toBe(0);
    let list: { extension: string; aor: string; contact: string }[] = [];
    for (let i = 0; i < 40 && list.length === 0; i++) {
      await Bun.sleep(50);
      list = (await api.json('GET', '/api/registrations')).body;
    }
    expect(list.map((b) => b.extension)).toEqual(['501']);
    expect((await api.json('GET', '/api/extensions')).body[0].registered).toBe(1);
    expect((await api.json('POST', '/api/registrations/unregister', { aor: list[0].aor, contact: list[0].contact })).status).toBe(200);
    expect(control.view.registrations()).toEqual([]);
  }, 20_000);

  test('a call made with sipp shows in recent calls, with the ladder of its real messages', async () => {
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '501', '-au', '501', '-ap', PW, '-key', 'expires', '3600',
      `${HOST}:${config.sip.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 15);
    expect(reg.code).toBe(0);
    const callee = await startSippUas(['-sf', `${SCENARIOS}/uas-answer.xml`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 15);
    const caller = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '501', `${HOST}:${config.sip.port}`,
      '-i', '127.0.12.20', '-p', String(await freePort('127.0.12.20')), '-m', '1'], 15);
    expect(caller.code).toBe(0);
    expect((await callee.done).code).toBe(0);
    let recent: { callId: string }[] = [];
    for (let i = 0; i < 40 && recent.length === 0; i++) {
      await Bun.sleep(50);
      recent = (await api.json('GET', '/api/calls')).body.recent;
    }
    expect(recent).toHaveLength(1);
    const ladder = (await api.json('GET', `/api/calls/${encodeURIComponent(recent[0].callId)}/ladder`)).body;
    expect(ladder.source).toBe('trace');
    const steps = ladder.steps.map((st: { from: string; to: string; label: string }) => `${st.from}>${st.to} ${st.label}`);
    expect(steps.slice(0, 3)).toEqual(['caller>appliance INVITE', 'appliance>caller 100 Trying', 'appliance>callee INVITE']);
    expect(steps).toContain('callee>appliance 200 OK');
    expect(steps).toContain('appliance>callee BYE');
  }, 30_000);

  test('history carries real worker reports from the sampler', async () => {
    let samples: { workers: { id: number; cpuShare: number }[]; cpuPercent: number | null }[] = [];
    for (let i = 0; i < 30 && samples.length === 0; i++) {
      await Bun.sleep(100);
      samples = (await api.json('GET', '/api/history')).body;
    }
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[samples.length - 1].workers).toHaveLength(1);
    const status = await api.json('GET', '/api/status');
    expect(status.body.workers[0].state).toBe('running');
  }, 10_000);
});
