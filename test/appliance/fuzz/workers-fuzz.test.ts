import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { TYPE } from '../../../appliance/dns/records.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { dnsFuzzCases, loadDnsCorpus } from '../../support/dns-mutations.ts';
import { boundUdp, dnsProbe, sendTcpPaced, sendUdpPaced, sipOptionsProbe, sourceAddresses, tcpFrame } from '../../support/fuzz-wire.ts';
import { fuzzSeed, SeededRandom } from '../../support/seeded-random.ts';
import { loadSipCorpus, sipFuzzCases } from '../../support/sip-mutations.ts';
import { freePort, SHARED } from '../../support/sipp.ts';
import { header, query } from '../dns/support/wire.ts';

/**
 * The same bounded fuzz against real worker processes: the control section on 127.0.50.3 with
 * two connection control sections sharing the SIP and DNS ports (SO_REUSEPORT spreads the
 * sources over both). Mutated SIP over UDP and TCP, malformed DNS over UDP and TCP; then no
 * worker may have died (same pids, no `control.worker.crash` event), both must still answer
 * OPTIONS and a DNS query within a second, and their RSS must stay bounded. The seed is
 * printed; FUZZ_SEED=<seed> replays the same inputs. Nothing leaves loopback (see
 * sip-fuzz.test.ts: foreign domain, no trusted sources, no credentials, no DNS forwarder).
 */
const TORTURE = join(SHARED, 'testdata/sip-torture');
const DNS_CORPUS = join(SHARED, 'testdata/dns');
const HOST = '127.0.50.3';
const UDP_SOURCES = sourceAddresses('127.0.50', 100, 60);
const TCP_SOURCES = sourceAddresses('127.0.50', 200, 30);
const PROBE = '127.0.50.97';
const SIP_UDP = 8_000;
const SIP_TCP = 4_000;
const DNS_UDP = 6_000;
const DNS_TCP = 2_000;
const MiB = 2 ** 20;
const present = existsSync(TORTURE) && existsSync(DNS_CORPUS);
if (!present) console.warn(`skipping: shared corpora not found under ${SHARED}/testdata`);

const seed = fuzzSeed();
let dir: string;
let control: ControlSection;
let sipPort: number;
let dnsPort: number;
let pids: number[];
let rssBefore: number[];

const pace = () => ({ batch: 40, burstBytes: 96 * 1024, pauseMs: 2, deadline: Date.now() + 20_000 });

/** Every worker answers: OPTIONS from several source ports (the kernel hashes them over both). */
async function allAnswer(): Promise<void> {
  for (let i = 0; i < 6; i++) expect(await sipOptionsProbe(HOST, sipPort, PROBE, 'example.com')).toMatch(/^SIP\/2\.0 200 /);
  for (let i = 0; i < 6; i++) {
    const id = 0x6000 + i;
    const answer = await dnsProbe(HOST, dnsPort, PROBE, query('office.lan', TYPE.SOA, { id }));
    expect(answer).toBeDefined();
    expect(header(answer!)).toMatchObject({ id, qr: true, aa: true, rcode: 0 });
  }
}

describe.skipIf(!present)('fuzz against worker processes', () => {
  beforeAll(async () => {
    console.log(`workers-fuzz seed ${seed} (FUZZ_SEED=${seed} to replay)`);
    dir = mkdtempSync(join(tmpdir(), 'workers-fuzz-'));
    sipPort = await freePort(HOST);
    dnsPort = await freePort(HOST);
    const configPath = join(dir, 'appliance.toml');
    writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
domain = "example.com"
transports = ["udp", "tcp"]
[dns]
enabled = true
listen = "${HOST}"
port = ${dnsPort}
zone = "office.lan"
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 2
max_workers = 2
sample_schedule = "*/1 * * * * *"
`);
    control = await startControlSection(loadConfig(configPath), { configArg: configPath, workerOutput: 'ignore' });
    pids = control.pool.workers.map((w) => w.proc.pid).sort();
    rssBefore = (await control.sampleNow()).workers.map((w) => w.rssBytes);
  }, 30_000);
  afterAll(async () => {
    await control?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${SIP_UDP} mutated SIP messages over UDP, ${SIP_TCP} over TCP`, async () => {
    const corpus = loadSipCorpus(TORTURE);
    const rnd = new SeededRandom(seed);
    const bound = await Promise.all(UDP_SOURCES.map((a) => boundUdp(a)));
    const started = performance.now();
    const sent = await sendUdpPaced(bound.map((b) => b.sock), (function* () {
      for (const c of sipFuzzCases(corpus, rnd, SIP_UDP)) yield c.bytes;
    })(), sipPort, HOST, pace());
    for (const b of bound) b.sock.close();
    const tcp = await sendTcpPaced(HOST, sipPort, TCP_SOURCES, (function* () {
      for (const c of sipFuzzCases(corpus, rnd, SIP_TCP, 200_000)) yield c.bytes;
    })(), { perConnection: 3, parallel: 16, lingerMs: 100, deadline: Date.now() + 20_000 });
    console.log(`workers-fuzz SIP: ${sent} over UDP, ${tcp.sent} over ${tcp.connections} TCP connections, in ${Math.round(performance.now() - started)} ms`);
    expect(sent).toBe(SIP_UDP);
    expect(tcp.sent).toBe(SIP_TCP);
    await Bun.sleep(300);
    await allAnswer();
  }, 60_000);

  test(`${DNS_UDP} malformed DNS packets over UDP, ${DNS_TCP} over TCP`, async () => {
    const corpus = loadDnsCorpus(DNS_CORPUS);
    const rnd = new SeededRandom(seed ^ 0x0f0f0f0f);
    const bound = await Promise.all(UDP_SOURCES.map((a) => boundUdp(a)));
    const started = performance.now();
    const sent = await sendUdpPaced(bound.map((b) => b.sock), dnsFuzzCases(corpus, rnd, DNS_UDP), dnsPort, HOST, pace());
    for (const b of bound) b.sock.close();
    const tcp = await sendTcpPaced(HOST, dnsPort, TCP_SOURCES, (function* () {
      for (const p of dnsFuzzCases(corpus, rnd, DNS_TCP, 65_535)) yield tcpFrame(p);
    })(), { perConnection: 8, parallel: 16, lingerMs: 200, deadline: Date.now() + 20_000 });
    console.log(`workers-fuzz DNS: ${sent} over UDP, ${tcp.sent} over ${tcp.connections} TCP connections, in ${Math.round(performance.now() - started)} ms`);
    expect(sent).toBe(DNS_UDP);
    expect(tcp.sent).toBe(DNS_TCP);
    await Bun.sleep(300);
    await allAnswer();
  }, 60_000);

  test('no worker crashed or was replaced; memory bounded; no failed SIP handler', async () => {
    const state = await control.sampleNow();
    const rss = state.workers.map((w) => w.rssBytes);
    console.log(`workers-fuzz RSS per worker: ${rssBefore.map((b) => Math.round(b / MiB))} MiB before, ${rss.map((b) => Math.round(b / MiB))} MiB after`);
    expect(control.pool.workers.map((w) => w.proc.pid).sort()).toEqual(pids);
    expect(control.pool.workers.every((w) => w.state === 'running')).toBe(true);
    expect(control.store.events.recent(10, 'control.worker.crash')).toEqual([]);
    for (const r of rss) expect(r).toBeLessThan(Math.max(...rssBefore) + 256 * MiB);
    const failures = control.store.events.recent(10, 'sip.error');
    for (const f of failures.slice(0, 5)) console.log(`workers-fuzz handler failure: ${f.message} ${JSON.stringify(f.details)}`);
    expect(failures.map((f) => f.message)).toEqual([]);
    await allAnswer();
  }, 20_000);
});
