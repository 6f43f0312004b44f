import { describe, expect, test } from 'bun:test';
import { applianceMetrics, type MetricsInput } from '../../../appliance/metrics/appliance-metrics.ts';
import { exposition } from '../../../appliance/metrics/exposition.ts';
import { metricsRoute } from '../../../appliance/metrics/metrics-route.ts';
import { emptyTotals } from '../../../appliance/metrics/worker-totals.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { ConfigError } from '../../../system/errors/index.ts';
import { requireTool } from '../../support/require-tool.ts';

/** The metric families built from a scrape's input, the route's allowlist, and `[metrics]`. */
const worker = (workerId: number, cpuShare: number) => ({
  workerId, pid: 100 + workerId, state: 'running' as const, cpuShare, requestsPerSecond: {}, callsPerSecond: 0, openTransactions: 3 * workerId,
  replies: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 }, shed: 0, errors: 0, rssBytes: 50_000_000,
});
const full: MetricsInput = {
  totals: { ...emptyTotals(), sipRequests: { INVITE: 4, REGISTER: 2 }, sipReplies: { INVITE: [4, 3, 0, 1, 0, 0] }, dnsAnswers: { A: [5, 0, 0, 1] } },
  workers: [worker(1, 0.25), worker(2, 0.5)],
  host: {
    ts: 0, cpuPercent: 37, cpuPerCore: [30, 44], memory: { totalBytes: 8e9, usedBytes: 2e9, availableBytes: 6e9 },
    temperatures: { cpu: 51, cpuMax: null, chipset: 40 }, disk: { mount: '/', sizeBytes: 1e11, usedBytes: 4e10, usePercent: 40 },
  },
  bindings: 7, dialogs: 2, shedding: true,
  peers: [{ name: 'office-b', state: 'up' }, { name: 'office-c', state: 'down' }],
  trunks: [{ name: 'provider', state: 'up', reason: undefined, registrar: 'sip.example', expiresAt: 1, retryAt: undefined },
    { name: 'backup', state: 'failed', reason: '403', registrar: 'b.example', expiresAt: undefined, retryAt: 2 }],
};
const lines = (m: MetricsInput) => exposition(applianceMetrics(m)).split('\n');

describe('appliance metrics', () => {
  test('every family from a full input', () => {
    const l = lines(full);
    for (const want of [
      'appliance_sip_requests_total{method="INVITE"} 4',
      'appliance_sip_responses_total{method="INVITE",class="4xx"} 1',
      'appliance_sip_transactions_open 9', 'appliance_sip_dialogs 2', 'appliance_sip_registrations 7', 'appliance_shedding 1',
      'appliance_dns_queries_total{type="A",rcode="NOERROR"} 5', 'appliance_dns_queries_total{type="A",rcode="NXDOMAIN"} 1',
      'appliance_worker_cpu_share_ratio{worker="2"} 0.5', 'appliance_workers{state="running"} 2',
      'appliance_host_cpu_ratio 0.37', 'appliance_host_memory_available_bytes 6000000000',
      'appliance_host_temperature_celsius{sensor="cpu"} 51', 'appliance_host_temperature_celsius{sensor="chipset"} 40',
      'appliance_peer_up{peer="office-b"} 1', 'appliance_peer_up{peer="office-c"} 0',
      'appliance_trunk_up{trunk="provider"} 1', 'appliance_trunk_up{trunk="backup"} 0',
      'appliance_trunk_state{trunk="backup",state="failed"} 1', 'appliance_trunk_state{trunk="backup",state="up"} 0',
    ]) expect(l).toContain(want);
    // A sensor the host lacks is absent, not 0; a zero DNS count is not listed.
    expect(l.some((x) => x.includes('sensor="cpu_max"'))).toBe(false);
    expect(l.some((x) => x.includes('rcode="SERVFAIL"'))).toBe(false);
  });
  test('before the first sample and without trunks: no host or trunk families, the rest at zero', () => {
    const l = lines({ ...full, workers: [], host: undefined, trunks: [], peers: [], shedding: false });
    expect(l.some((x) => x.startsWith('appliance_host_') || x.startsWith('appliance_trunk_'))).toBe(false);
    expect(l).toContain('appliance_sip_transactions_open 0');
    expect(l).toContain('appliance_sip_call_setup_seconds_count 0');
  });
  test.skipIf(!requireTool('promtool'))('promtool check metrics passes on the full input', async () => {
    const p = Bun.spawn(['promtool', 'check', 'metrics'], { stdin: new TextEncoder().encode(exposition(applianceMetrics(full))), stdout: 'pipe', stderr: 'pipe' });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    expect(`${out}${err}`).toBe('');
    expect(await p.exited).toBe(0);
  });
});

describe('metrics route', () => {
  const allow = parseConfig('[metrics]\nallow = ["10.0.0.0/8", "::1"]', 't.toml').metrics.allow;
  let gathered = 0;
  const route = metricsRoute(allow, () => (gathered++, full));
  const get = (client: string, method = 'GET') => route(new Request('https://x/metrics', { method }), client) as Response;
  test.each([['10.1.2.3', 200], ['::ffff:10.9.9.9', 200], ['::1', 200], ['127.0.0.1', 403], ['192.168.1.5', 403], ['', 403], ['not-an-address', 403]])(
    'source %p → %p', async (client, status) => {
      const before = gathered;
      const r = get(client);
      expect(r.status).toBe(status);
      if (status === 200) expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      else {
        expect(await r.text()).not.toContain('appliance_');
        expect(gathered).toBe(before); // refused before anything is gathered
      }
    });
  test.each(['POST', 'PUT', 'DELETE'])('%s → 405', (m) => expect(get('10.0.0.1', m).status).toBe(405));
  test('HEAD: headers, no body', async () => {
    const r = get('10.0.0.1', 'HEAD');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
  });
});

describe('[metrics] config', () => {
  const keyOf = (text: string) => {
    try {
      parseConfig(text, 't.toml');
    } catch (err) {
      if (err instanceof ConfigError) return err.key;
      throw err;
    }
    return 'parsed';
  };
  test('default: loopback only', () => {
    expect(parseConfig('', 't.toml').metrics.allow.map((c) => c.text)).toEqual(['127.0.0.1/32', '::1/128']);
  });
  test('empty list: nobody', () => expect(parseConfig('[metrics]\nallow = []', 't.toml').metrics.allow).toEqual([]));
  test.each([
    ['[metrics]\nallow = ["10.0.0.0/33"]', 'metrics.allow[0]'], ['[metrics]\nallow = "127.0.0.1"', 'metrics.allow'],
    ['[metrics]\nallow = ["localhost"]', 'metrics.allow[0]'], ['[metrics]\nport = 9100', 'metrics.port'], ['metrics = 3', 'metrics'],
  ])('%p fails naming %p', (text, key) => expect(keyOf(text)).toBe(key));
});
