import type { HostSample } from '../../system/sensors/host-sample.ts';
import type { WorkerReport } from '../control/operating-state.ts';
import { rcodeName } from '../dns/records.ts';
import { REPLY_CLASSES } from '../sip/sip-counters.ts';
import type { TrunkStatus } from '../trunks/trunk-status.ts';
import { CALL_SETUP_BUCKETS, DNS_LATENCY_BUCKETS } from './histogram.ts';
import type { MetricFamily, Sample } from './exposition.ts';
import type { WorkerTotals } from './worker-totals.ts';

/** Everything one scrape shows, gathered by the control section (docs/METRICS.md). */
export interface MetricsInput {
  /** The workers' counts since the control section started (TotalsLedger.sum()). */
  readonly totals: WorkerTotals;
  /** The last operating-state sample's worker reports and host sample (undefined before the first). */
  readonly workers: readonly WorkerReport[];
  readonly host: HostSample | undefined;
  /** Active registration bindings (the store). */
  readonly bindings: number;
  /** Calls in progress (the calls view). */
  readonly dialogs: number;
  /** Load shedding in force (an admission set by the policy). */
  readonly shedding: boolean;
  readonly peers: readonly { readonly name: string; readonly state: string }[];
  readonly trunks: readonly TrunkStatus[];
}

const TRUNK_STATES: readonly TrunkStatus['state'][] = ['registering', 'up', 'failed', 'unregistered', 'static'];
const P = 'appliance_';

/** The metric families of one scrape (pure: the route formats them, metrics/exposition.ts). */
export function applianceMetrics(m: MetricsInput): MetricFamily[] {
  const t = m.totals;
  const families: MetricFamily[] = [
    counter('sip_requests_total', 'SIP requests received, by method (unknown methods as "other").',
      Object.entries(t.sipRequests).map(([method, value]) => ({ labels: { method }, value }))),
    counter('sip_responses_total', 'SIP responses sent (our own and relayed), by request method and status class.',
      Object.entries(t.sipReplies).flatMap(([method, counts]) => REPLY_CLASSES.map((cls, i) => ({ labels: { method, class: cls }, value: counts[i] ?? 0 })))),
    gauge('sip_transactions_open', 'Open SIP server and client transactions, all workers.', [{ value: sum(m.workers, (w) => w.openTransactions) }]),
    gauge('sip_dialogs', 'Calls in progress (dialogs confirmed and not yet ended).', [{ value: m.dialogs }]),
    gauge('sip_registrations', 'Active registration bindings (contacts) in the location service.', [{ value: m.bindings }]),
    { name: `${P}sip_call_setup_seconds`, help: 'Time from an INVITE received to the first 2xx sent upstream (includes ringing).', type: 'histogram',
      histograms: [{ bounds: CALL_SETUP_BUCKETS, snapshot: t.callSetup }] },
    counter('sip_shed_total', 'New dialogs and registrations refused with 503 by load shedding.', [{ value: t.shed }]),
    counter('sip_refused_total', 'SIP messages not served: banned or over-rate sources, malformed requests (400), dropped (undecodable, unmatched responses).', [
      { labels: { reason: 'banned' }, value: t.banned }, { labels: { reason: 'malformed' }, value: t.malformed }, { labels: { reason: 'dropped' }, value: t.dropped },
    ]),
    counter('sip_spread_total', 'Datagrams of hot flows handed between workers.', [{ labels: { direction: 'out' }, value: t.spreadOut }, { labels: { direction: 'in' }, value: t.spreadIn }]),
    gauge('shedding', '1 while load shedding is in force.', [{ value: m.shedding ? 1 : 0 }]),
    counter('dns_queries_total', 'DNS queries answered, by query type and response code.',
      Object.entries(t.dnsAnswers).flatMap(([type, counts]) => counts.flatMap((value, rcode) => (value > 0 ? [{ labels: { type, rcode: rcodeName(rcode) }, value }] : [])))),
    counter('dns_dropped_total', 'DNS messages dropped without an answer (not a query, too short).', [{ value: t.dnsDropped }]),
    { name: `${P}dns_query_duration_seconds`, help: 'Time from a DNS query received to its answer ready.', type: 'histogram',
      histograms: [{ bounds: DNS_LATENCY_BUCKETS, snapshot: t.dnsLatency }] },
    gauge('workers', 'Connection control sections (worker processes) by state.',
      (['starting', 'running', 'draining'] as const).map((state) => ({ labels: { state }, value: m.workers.filter((w) => w.state === state).length }))),
    gauge('worker_cpu_share_ratio', 'CPU time over wall time of each worker in the last sampling period, 0..1.', perWorker(m.workers, (w) => w.cpuShare)),
    gauge('worker_transactions_open', 'Open SIP transactions of each worker.', perWorker(m.workers, (w) => w.openTransactions)),
    gauge('worker_resident_memory_bytes', 'Resident memory of each worker process.', perWorker(m.workers, (w) => w.rssBytes)),
    ...hostFamilies(m.host),
    gauge('peer_up', '1 when the peer appliance answers heartbeats.', m.peers.map((p) => ({ labels: { peer: p.name }, value: p.state === 'up' ? 1 : 0 }))),
  ];
  if (m.trunks.length > 0) {
    families.push(
      gauge('trunk_up', '1 when the trunk can carry calls (registered, or IP-authenticated).', m.trunks.map((s) => ({ labels: { trunk: s.name }, value: s.state === 'up' || s.state === 'static' ? 1 : 0 }))),
      gauge('trunk_state', 'The trunk registration state: 1 for the current one.', m.trunks.flatMap((s) => TRUNK_STATES.map((state) => ({ labels: { trunk: s.name, state }, value: s.state === state ? 1 : 0 })))),
    );
  }
  return families;
}

function hostFamilies(h: HostSample | undefined): MetricFamily[] {
  if (!h) return [];
  const temps = Object.entries({ cpu: h.temperatures.cpu, cpu_max: h.temperatures.cpuMax, chipset: h.temperatures.chipset })
    .flatMap(([sensor, v]) => (v === null ? [] : [{ labels: { sensor }, value: v }]));
  const out: MetricFamily[] = [];
  if (h.cpuPercent !== null) out.push(gauge('host_cpu_ratio', 'Whole-host CPU use over the last sample, 0..1 (all cores).', [{ value: h.cpuPercent / 100 }]));
  if (h.memory) {
    out.push(
      gauge('host_memory_size_bytes', 'Host memory size.', [{ value: h.memory.totalBytes }]),
      gauge('host_memory_used_bytes', 'Host memory in use.', [{ value: h.memory.usedBytes }]),
      gauge('host_memory_available_bytes', 'Host memory available to programs.', [{ value: h.memory.availableBytes }]),
    );
  }
  // A sensor the hardware lacks is left out (absent, not 0).
  if (temps.length > 0) out.push(gauge('host_temperature_celsius', 'Host temperatures by sensor (only sensors the hardware has).', temps));
  if (h.disk) {
    out.push(
      gauge('host_disk_size_bytes', 'Size of the file system holding the data directory.', [{ value: h.disk.sizeBytes }]),
      gauge('host_disk_used_bytes', 'Use of the file system holding the data directory.', [{ value: h.disk.usedBytes }]),
    );
  }
  return out;
}

function counter(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name: `${P}${name}`, help, type: 'counter', samples };
}

function gauge(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name: `${P}${name}`, help, type: 'gauge', samples };
}

function perWorker(workers: readonly WorkerReport[], value: (w: WorkerReport) => number): Sample[] {
  return workers.map((w) => ({ labels: { worker: String(w.workerId) }, value: value(w) }));
}

function sum(workers: readonly WorkerReport[], value: (w: WorkerReport) => number): number {
  return workers.reduce((a, w) => a + value(w), 0);
}
