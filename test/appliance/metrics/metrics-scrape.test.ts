import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, startSippUas } from '../../support/sipp.ts';
import { head, rawRequest } from '../web/support/raw-https.ts';

/**
 * /metrics on the control section with two worker processes (127.0.220.0/24): REGISTER, calls
 * and DNS queries move the counters they should, the scrape passes `promtool check metrics`,
 * a worker killed and replaced makes no counter go backwards, and a source outside
 * `[metrics] allow` gets 403.
 */
const HOST = '127.0.220.1';
const SCRAPER = '127.0.220.2';
const STRANGER = '127.0.220.3';
const PHONE = '127.0.220.10';
const GATEWAY = '127.0.220.20';
const PW = 'Metrics-Pass-501';
const CALLS = 5;
const hasTools = requireTool('sipp') && requireTool('dig') && requireTool('promtool');

let t: TestControlSection;
let dnsPort: number;
let callee: { kill: () => void } | undefined;

/** One scrape from `from`: status and body. */
async function scrape(from = SCRAPER, method = 'GET') {
  return rawRequest({ host: HOST, port: t.control.webPort, localAddress: from, tls: true, head: head(method, '/metrics', `${HOST}:${t.control.webPort}`) });
}

/** `name{labels}` → value, from the exposition text (comments skipped). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function metrics(): Promise<Map<string, number>> {
  await t.control.sampleNow();
  const r = await scrape();
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(r.body);
}

async function dig(name: string, type: string): Promise<string> {
  const p = Bun.spawn(['dig', `@${HOST}`, '-p', String(dnsPort), '+tries=1', '+time=2', name, type], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out;
}

const v = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

describe.skipIf(!hasTools)('Prometheus metrics of the control section', () => {
  beforeAll(async () => {
    dnsPort = await freePort(HOST);
    t = await startTestControlSection(HOST, {
      sip: `trusted = ["${GATEWAY}/32"]`,
      dns: `enabled = true\nlisten = "${HOST}"\nport = ${dnsPort}`,
      tables: `[metrics]\nallow = ["${SCRAPER}/32"]`,
      extensions: { '501': PW },
    });
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await t?.stop();
  });

  test('REGISTER, calls and DNS queries move the counters; the scrape passes promtool', async () => {
    const before = await metrics();
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '501', '-au', '501', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 30);
    const calls = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '501', `${HOST}:${t.port}`, '-i', GATEWAY, '-t', 'un', '-max_socket', '100',
      '-r', '10', '-m', String(CALLS)], 20);
    if (calls.code !== 0) console.log(calls.out.slice(-3000));
    expect(calls.code).toBe(0);
    expect(await dig('sip.office.lan', 'A')).toContain('status: NOERROR');
    expect(await dig('_sip._udp.office.lan', 'SRV')).toContain('status: NOERROR');
    expect(await dig('nothere.office.lan', 'A')).toContain('status: NXDOMAIN');
    await Bun.sleep(200); // dialog events arrive in 50 ms batches
    const after = await metrics();
    const moved = (key: string) => v(after, key) - v(before, key);

    expect(moved('appliance_sip_requests_total{method="REGISTER"}')).toBe(2); // challenged, then with credentials
    expect(moved('appliance_sip_responses_total{method="REGISTER",class="4xx"}')).toBe(1);
    expect(moved('appliance_sip_responses_total{method="REGISTER",class="2xx"}')).toBe(1);
    expect(moved('appliance_sip_requests_total{method="INVITE"}')).toBe(CALLS);
    expect(moved('appliance_sip_requests_total{method="BYE"}')).toBe(CALLS);
    expect(moved('appliance_sip_responses_total{method="INVITE",class="2xx"}')).toBe(CALLS);
    expect(moved('appliance_sip_responses_total{method="INVITE",class="1xx"}')).toBeGreaterThanOrEqual(CALLS); // 100 Trying at least
    expect(moved('appliance_sip_call_setup_seconds_count')).toBe(CALLS);
    expect(moved('appliance_sip_call_setup_seconds_bucket{le="+Inf"}')).toBe(CALLS);
    expect(moved('appliance_sip_call_setup_seconds_bucket{le="1"}')).toBe(CALLS); // sipp answers at once
    expect(v(after, 'appliance_sip_registrations')).toBe(1);
    expect(v(after, 'appliance_sip_dialogs')).toBe(0);
    expect(v(after, 'appliance_sip_shed_total')).toBe(0);

    expect(moved('appliance_dns_queries_total{type="A",rcode="NOERROR"}')).toBe(1);
    expect(moved('appliance_dns_queries_total{type="SRV",rcode="NOERROR"}')).toBe(1);
    expect(moved('appliance_dns_queries_total{type="A",rcode="NXDOMAIN"}')).toBe(1);
    expect(moved('appliance_dns_query_duration_seconds_count')).toBe(3);

    expect(v(after, 'appliance_workers{state="running"}')).toBe(2);
    const workers = t.control.pool.workers.map((w) => w.id);
    for (const id of workers) {
      const cpuShare = after.get(`appliance_worker_cpu_share_ratio{worker="${id}"}`);
      expect(cpuShare).toBeGreaterThanOrEqual(0);
      expect(cpuShare).toBeLessThanOrEqual(1);
      expect(v(after, `appliance_worker_resident_memory_bytes{worker="${id}"}`)).toBeGreaterThan(0);
    }
    expect(v(after, 'appliance_host_memory_size_bytes')).toBeGreaterThan(0);

    // The scrape as Prometheus' own checker sees it (format and naming lint).
    const body = (await scrape()).body;
    const check = Bun.spawn(['promtool', 'check', 'metrics'], { stdin: new TextEncoder().encode(body), stdout: 'pipe', stderr: 'pipe' });
    const [out, err] = await Promise.all([new Response(check.stdout).text(), new Response(check.stderr).text()]);
    expect(`${out}${err}`).toBe('');
    expect(await check.exited).toBe(0);
  }, 60_000);

  test('a worker killed and replaced makes no counter go backwards', async () => {
    const before = await metrics();
    const victim = t.control.pool.workers[0];
    victim.proc.kill('SIGKILL');
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(t.control.pool.workers.length === 2 && t.control.pool.workers.every((w) => w.state === 'running' && w !== victim))) {
      await Bun.sleep(100);
    }
    expect(t.control.pool.workers.map((w) => w.id)).not.toContain(victim.id);
    const after = await metrics();
    const counters = [...before.keys()].filter((k) => /_total(\{|$)|_count(\{|$)|_bucket\{/.test(k));
    expect(counters.length).toBeGreaterThan(20);
    const backwards = counters.filter((k) => !(v(after, k) >= v(before, k)));
    expect(backwards).toEqual([]);
    expect(v(after, 'appliance_sip_requests_total{method="INVITE"}')).toBeGreaterThanOrEqual(CALLS);
  }, 30_000);

  test('a drained worker (scale-in, reload, upgrade) leaves its counts in: nothing moves without traffic', async () => {
    const before = await metrics();
    const victim = t.control.pool.workers[0];
    t.control.pool.drain(victim);
    const until = Date.now() + 15_000;
    while (Date.now() < until && t.control.pool.workers.includes(victim)) await Bun.sleep(100);
    expect(t.control.pool.workers).not.toContain(victim);
    const after = await metrics();
    for (const k of ['appliance_sip_requests_total{method="INVITE"}', 'appliance_sip_responses_total{method="INVITE",class="2xx"}',
      'appliance_sip_call_setup_seconds_count', 'appliance_dns_query_duration_seconds_count']) expect({ k, n: v(after, k) }).toEqual({ k, n: v(before, k) });
  }, 30_000);

  test('attack: a source outside [metrics] allow gets 403 and no metrics; writes get 405', async () => {
    const r = await scrape(STRANGER);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('appliance_');
    // fetch leaves from 127.0.0.1: loopback is allowed by default, but this config names only the scraper.
    const viaFetch = await fetch(`https://${HOST}:${t.control.webPort}/metrics`, { tls: { rejectUnauthorized: false } });
    expect(viaFetch.status).toBe(403);
    const post = await scrape(SCRAPER, 'POST');
    expect(post.status).toBe(405);
    // The Host allowlist still comes first (DNS rebinding): a forged Host is refused before any route.
    const forged = await rawRequest({ host: HOST, port: t.control.webPort, localAddress: SCRAPER, tls: true, head: head('GET', '/metrics', 'evil.example') });
    expect(forged.status).toBe(421);
  }, 20_000);
});
