import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { startWebServer, type RunningWebServer } from '../../../appliance/web/server.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, startSippUas } from '../../support/sipp.ts';
import { ApiClient } from '../web/support/web-fixture.ts';

/**
 * Call detail records from real calls through worker processes (issue 14): an extension's
 * answered call (407 first: the challenge is no record), a call to an extension without a
 * phone (480) and to no extension (404) from a trusted gateway; the records survive a
 * restart and are read through the API (JSON and CSV) and the CLI. 127.0.78.1 appliance,
 * .10 callee phone, .11 caller phone, .20 gateway.
 */
const HOST = '127.0.78.1';
const CALLEE = '127.0.78.10';
const CALLER = '127.0.78.11';
const GATEWAY = '127.0.78.20';
const PW = { '801': 'Lima-Pass-801', '802': 'Mike-Pass-802', '803': 'Nova-Pass-803' };
const hasSipp = requireTool('sipp');
let t: TestControlSection;
let web: RunningWebServer | undefined;

async function settle(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await Bun.sleep(50);
}

describe.skipIf(!hasSipp)('call detail records', () => {
  beforeAll(async () => {
    t = await startTestControlSection(HOST, { sip: `trusted = ["${GATEWAY}/32"]`, control: 'min_workers = 2\nmax_workers = 2', extensions: PW });
  }, 30_000);
  afterAll(async () => {
    await web?.stop();
    await t?.stop();
  });

  test('answered, 480 and 404 calls each leave one record; they survive a restart', async () => {
    const calleePort = await freePort(CALLEE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '802', '-au', '802', '-ap', PW['802'],
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', CALLEE, '-p', String(calleePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', CALLEE, '-p', String(calleePort), '-m', '1'], 20);
    const call = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', '802', '-au', '801', '-ap', PW['801'],
      '-key', 'caller', '801', `${HOST}:${t.port}`, '-i', CALLER, '-p', String(await freePort(CALLER)), '-m', '1'], 20);
    expect(call.code).toBe(0);
    expect((await callee.done).code).toBe(0);
    const gw = (scenario: string, to: string) => runSipp(['-sf', join(SCENARIOS, scenario), '-s', to, `${HOST}:${t.port}`, '-i', GATEWAY, '-m', '1'], 10);
    expect((await gw('uac-expect-480.xml', '803')).code).toBe(0);
    expect((await gw('uac-expect-404.xml', '899')).code).toBe(0);

    const records = () => t.control.store.callRecords.list();
    await settle(() => records().length === 3 && records().every((r) => r.endedAt !== null));
    const [notFound, unavailable, answered] = records();
    expect(answered).toMatchObject({ from: 'sip:801@office.lan', to: 'sip:802@office.lan', direction: 'internal', result: 200, reason: 'BYE' });
    expect(answered.answeredAt).toBeGreaterThanOrEqual(answered.startedAt);
    expect(answered.endedAt).toBeGreaterThanOrEqual(answered.answeredAt!);
    expect(answered.toTag).toBeTruthy();
    expect(unavailable).toMatchObject({ to: 'sip:803@office.lan', direction: 'inbound', result: 480, answeredAt: null });
    expect(notFound).toMatchObject({ to: 'sip:899@office.lan', result: 404, answeredAt: null });

    await t.control.stop();
    await t.restart();
    expect(t.control.store.callRecords.list().map((r) => r.result)).toEqual([404, 480, 200]);
  }, 60_000);

  test('the API lists and exports them (filters checked), only with a session; the CLI too', async () => {
    web = await startWebServer({ config: t.config, store: t.control.store, view: t.control.view });
    const api = new ApiClient(web.url, web.certificate?.cert);
    // attack: no session, no records.
    expect((await api.json('GET', '/api/call-records')).status).toBe(401);
    expect((await api.call('GET', '/api/call-records.csv')).status).toBe(401);
    expect((await api.json('POST', '/api/setup', { token: web.setupToken, password: 'Records-Admin-Pw-1' })).status).toBe(201);
    const all = await api.json('GET', '/api/call-records');
    expect(all.status).toBe(200);
    expect(all.body.records.map((r: { result: number }) => r.result)).toEqual([404, 480, 200]);
    const mine = await api.json('GET', '/api/call-records?extension=801&direction=internal');
    expect(mine.body.records).toHaveLength(1);
    const bad = await api.json('GET', '/api/call-records?since=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('since');
    const csv = await api.call('GET', '/api/call-records.csv?extension=803');
    expect(csv.headers.get('content-type')).toStartWith('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('attachment');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/,inbound,sip:gateway@127\.0\.78\.20:\d+,sip:803@office\.lan,,,480,480 /);

    const out: string[] = [];
    const code = await runCli(['--config', t.configPath, 'calls', 'export', '--extension', '802'], { out: (l) => out.push(l), err: () => {} });
    expect(code ?? 0).toBe(0);
    expect(out.join('\n').split('\r\n')).toHaveLength(2);
    expect(out.join('\n')).toContain(',internal,sip:801@office.lan,sip:802@office.lan,,,200,BYE,');
  }, 30_000);
});
