import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TYPE } from '../../../appliance/dns/records.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { dnsFuzzCases, loadDnsCorpus } from '../../support/dns-mutations.ts';
import { boundUdp, dnsProbe, sendTcpPaced, sendUdpPaced, sourceAddresses, tcpFrame } from '../../support/fuzz-wire.ts';
import { fuzzSeed, SeededRandom } from '../../support/seeded-random.ts';
import { SHARED } from '../../support/sipp.ts';
import { header, query } from '../dns/support/wire.ts';

/**
 * Bounded DNS fuzz against the DNS function of an in-process appliance (127.0.50.2): malformed
 * packets derived from the shared wire corpus (c-ares fuzz inputs, PowerDNS seeds, dig
 * queries) over UDP and TCP (pipelined, some with lying length prefixes). Afterwards the
 * function must answer a good query within a second, have answered no packet with SERVFAIL
 * (what it sends when resolving or encoding threw inside), and
 * memory must stay bounded. The seed is printed; FUZZ_SEED=<seed> replays the same packets.
 * No forwarder is configured, so nothing is sent beyond loopback.
 */
const CORPUS = join(SHARED, 'testdata/dns');
const HOST = '127.0.50.2';
const UDP_SOURCES = sourceAddresses('127.0.50', 100, 40);
const TCP_SOURCES = sourceAddresses('127.0.50', 200, 20);
const PROBE = '127.0.50.98';
const UDP_COUNT = 18_000;
const TCP_COUNT = 6_000;
const present = existsSync(CORPUS);
if (!present) console.warn(`skipping: DNS corpus not found at ${CORPUS}`);

const seed = fuzzSeed();
let ap: TestAppliance;
let corpus: Buffer[];
let rssBefore = 0;
const escaped: unknown[] = [];
/** Answers with RCODE SERVFAIL: the handler failed inside (resolving or encoding threw). */
let servfails = 0;
const SERVFAIL = 2;
const inspect = (m: Buffer) => { if (m.length >= 4 && (m[3] & 0x0f) === SERVFAIL) servfails++; };
const onEscape = (err: unknown) => escaped.push(err);

async function stillAnswers(): Promise<void> {
  const id = 0x4000 + Math.floor(Math.random() * 0x3fff);
  const answer = await dnsProbe(HOST, ap.app.dns.udpPort, PROBE, query('office.lan', TYPE.SOA, { id }));
  expect(answer).toBeDefined();
  expect(header(answer!)).toMatchObject({ id, qr: true, aa: true, rcode: 0, an: 1 });
}

describe.skipIf(!present)('DNS fuzz, the DNS function of an in-process appliance', () => {
  beforeAll(async () => {
    console.log(`dns-fuzz seed ${seed} (FUZZ_SEED=${seed} to replay)`);
    corpus = loadDnsCorpus(CORPUS);
    ap = await startTestAppliance(HOST, { dns: `enabled = true\nlisten = "${HOST}"\nport = 0\nzone = "office.lan"` });
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    rssBefore = process.memoryUsage().rss;
  });
  afterAll(async () => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await ap?.stop();
  });

  test(`${UDP_COUNT} malformed packets over UDP`, async () => {
    const rnd = new SeededRandom(seed);
    const bound = await Promise.all(UDP_SOURCES.map((a) => boundUdp(a, 0, inspect)));
    const before = { ...ap.app.dns.stats };
    const started = performance.now();
    const sent = await sendUdpPaced(bound.map((b) => b.sock), dnsFuzzCases(corpus, rnd, UDP_COUNT), ap.app.dns.udpPort, HOST,
      { batch: 50, burstBytes: 96 * 1024, pauseMs: 2, deadline: Date.now() + 20_000 });
    await Bun.sleep(300);
    const s = ap.app.dns.stats;
    const replies = bound.reduce((n, b) => n + b.replies(), 0);
    console.log(`dns-fuzz UDP: sent ${sent} from ${UDP_SOURCES.length} sources in ${Math.round(performance.now() - started)} ms; queries ${s.queries - before.queries}, dropped ${s.dropped - before.dropped}, FORMERR-class ${s.errors - before.errors}; ${replies} replies, ${servfails} SERVFAIL so far`);
    for (const b of bound) b.sock.close();
    expect(sent).toBe(UDP_COUNT);
    // The pacing works: most packets reached the DNS function (answered or dropped by it).
    expect(s.queries - before.queries + (s.dropped - before.dropped)).toBeGreaterThan(UDP_COUNT * 0.8);
    await stillAnswers();
  }, 40_000);

  test(`${TCP_COUNT} malformed packets over TCP, pipelined, some with a lying length prefix`, async () => {
    const rnd = new SeededRandom(seed ^ 0x3c3c3c3c);
    const frames = (function* () {
      for (const p of dnsFuzzCases(corpus, rnd, TCP_COUNT, 65_535)) {
        const f = tcpFrame(p);
        if (rnd.chance(0.05)) f.writeUInt16BE(rnd.pick([0, 1, 0xffff, rnd.int(65536)]), 0);
        yield f;
      }
    })();
    // Answers come framed (RFC 1035 §4.2.2); deframe per connection to look at each one.
    const pending = new Map<number, Buffer>();
    const onData = (conn: number, data: Buffer) => {
      let buf = Buffer.concat([pending.get(conn) ?? Buffer.alloc(0), data]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        inspect(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      pending.set(conn, buf);
    };
    const before = { ...ap.app.dns.stats };
    const started = performance.now();
    const run = await sendTcpPaced(HOST, ap.app.dns.tcpPort, TCP_SOURCES, frames, { perConnection: 8, parallel: 16, lingerMs: 200, deadline: Date.now() + 25_000, onData });
    await Bun.sleep(200);
    const s = ap.app.dns.stats;
    console.log(`dns-fuzz TCP: sent ${run.sent} over ${run.connections} connections (${run.closedByServer} closed by the server first) in ${Math.round(performance.now() - started)} ms; queries ${s.queries - before.queries}, dropped ${s.dropped - before.dropped}, FORMERR-class ${s.errors - before.errors}; ${run.replyBytes} bytes back, ${servfails} SERVFAIL so far`);
    expect(run.sent).toBe(TCP_COUNT);
    await stillAnswers();
  }, 40_000);

  test('afterwards: no escaped exception, no internal failure (SERVFAIL), bounded memory, still answering', async () => {
    const rssAfter = process.memoryUsage().rss;
    console.log(`dns-fuzz RSS: ${Math.round(rssBefore / 2 ** 20)} MiB before, ${Math.round(rssAfter / 2 ** 20)} MiB after`);
    expect(escaped.map(String)).toEqual([]);
    expect(servfails).toBe(0);
    expect(rssAfter - rssBefore).toBeLessThan(256 * 2 ** 20);
    await stillAnswers();
  });
});
