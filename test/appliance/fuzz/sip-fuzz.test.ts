import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { boundUdp, sendTcpPaced, sendUdpPaced, sipOptionsProbe, sourceAddresses } from '../../support/fuzz-wire.ts';
import { fuzzSeed, SeededRandom } from '../../support/seeded-random.ts';
import { loadSipCorpus, sipFuzzCases } from '../../support/sip-mutations.ts';
import { SHARED } from '../../support/sipp.ts';

/**
 * Bounded SIP fuzz against one connection control section in this process (127.0.50.1):
 * mutated RFC 4475 / RFC 5118 torture messages over UDP and TCP, paced so the socket buffer
 * is not simply overrun. Afterwards the appliance must answer a well-formed OPTIONS within a
 * second, nothing may have escaped as an uncaught exception, no request handler may have
 * failed (`sip.error`), and memory must stay bounded. The seed is printed; FUZZ_SEED=<seed>
 * replays the same inputs.
 *
 * Nothing leaves loopback: the domain is the corpus's (example.com), there are no trusted
 * sources and no credentials, so nothing is relayed (foreign → foreign is 403, ours is
 * challenged), and replies go to the sender's address (the corpus's Via hosts are not ours,
 * so `received` is always the real source).
 */
const TORTURE = join(SHARED, 'testdata/sip-torture');
const HOST = '127.0.50.1';
// Spread over many sources: ~160 messages each stays under the per-source rate limit.
const UDP_SOURCES = sourceAddresses('127.0.50', 100, 100);
const TCP_SOURCES = sourceAddresses('127.0.50', 200, 50);
const PROBE = '127.0.50.99';
const UDP_COUNT = 16_000;
const TCP_COUNT = 10_000;
const present = existsSync(TORTURE);
if (!present) console.warn(`skipping: torture corpus not found at ${TORTURE}`);

const seed = fuzzSeed();
let ap: TestAppliance;
let corpus: Buffer[];
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);
let rssBefore = 0;

/** Messages the SIP service took: requests, drops, malformed (responses are not counted). */
function delivered(): number {
  const c = ap.app.sip.service.counters.snapshot();
  return Object.values(c.requests).reduce((a, b) => a + b, 0) + c.dropped + c.malformed;
}

/** Messages refused because their source was banned or over its rate (0 without the guard). */
function refused(): number {
  return (ap.app.sip.service.counters as { banned?: number }).banned ?? 0;
}

describe.skipIf(!present)('SIP fuzz, one connection control section in-process', () => {
  beforeAll(async () => {
    console.log(`sip-fuzz seed ${seed} (FUZZ_SEED=${seed} to replay)`);
    corpus = loadSipCorpus(TORTURE);
    ap = await startTestAppliance(HOST, { domain: 'example.com' });
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    rssBefore = process.memoryUsage().rss;
  });
  afterAll(async () => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await ap?.stop();
  });

  test(`${UDP_COUNT} mutated messages over UDP`, async () => {
    const rnd = new SeededRandom(seed);
    // Port 0: replies to the corpus's Vias (no rport) go to their port, mostly 5060, where
    // nothing listens (RFC 3261 §18.2.2); only the rport ones come back to these sockets.
    const bound = await Promise.all(UDP_SOURCES.map((a) => boundUdp(a)));
    const before = delivered();
    const refusedBefore = refused();
    const started = performance.now();
    const sent = await sendUdpPaced(bound.map((b) => b.sock), (function* () {
      for (const c of sipFuzzCases(corpus, rnd, UDP_COUNT)) yield c.bytes;
    })(), ap.port, HOST, { batch: 40, burstBytes: 96 * 1024, pauseMs: 2, deadline: Date.now() + 20_000 });
    await Bun.sleep(300);
    const seen = delivered() - before;
    const replies = bound.reduce((n, b) => n + b.replies(), 0);
    console.log(`sip-fuzz UDP: sent ${sent} from ${UDP_SOURCES.length} sources in ${Math.round(performance.now() - started)} ms; the SIP service took ${seen} (requests + drops + malformed; responses are not counted), refused ${refused() - refusedBefore} (banned/over rate); ${replies} replies`);
    for (const b of bound) b.sock.close();
    expect(sent).toBe(UDP_COUNT);
    // The pacing works: most datagrams reached the SIP service rather than the kernel's floor.
    expect(seen).toBeGreaterThan(UDP_COUNT * 0.8);
    expect(await sipOptionsProbe(HOST, ap.port, PROBE, 'example.com')).toMatch(/^SIP\/2\.0 200 /);
  }, 40_000);

  test(`${TCP_COUNT} mutated messages over TCP`, async () => {
    const rnd = new SeededRandom(seed ^ 0x5a5a5a5a);
    const before = delivered();
    const started = performance.now();
    const run = await sendTcpPaced(HOST, ap.port, TCP_SOURCES, (function* () {
      for (const c of sipFuzzCases(corpus, rnd, TCP_COUNT, 200_000)) yield c.bytes;
    })(), { perConnection: 3, parallel: 16, lingerMs: 100, deadline: Date.now() + 25_000 });
    await Bun.sleep(200);
    console.log(`sip-fuzz TCP: sent ${run.sent} over ${run.connections} connections (${run.closedByServer} closed by the appliance first) in ${Math.round(performance.now() - started)} ms; the appliance took ${delivered() - before} messages, sent ${run.replyBytes} bytes back`);
    expect(run.sent).toBe(TCP_COUNT);
    expect(await sipOptionsProbe(HOST, ap.port, PROBE, 'example.com')).toMatch(/^SIP\/2\.0 200 /);
  }, 40_000);

  test('afterwards: no escaped exception, no failed handler, bounded memory, still answering', async () => {
    const failures = ap.app.store.events.recent(20, 'sip.error');
    for (const f of failures.slice(0, 5)) console.log(`sip-fuzz handler failure: ${f.message} ${JSON.stringify(f.details)}`);
    const rssAfter = process.memoryUsage().rss;
    console.log(`sip-fuzz RSS: ${Math.round(rssBefore / 2 ** 20)} MiB before, ${Math.round(rssAfter / 2 ** 20)} MiB after; open transactions ${ap.app.sip.service.openTransactions}`);
    expect(escaped.map(String)).toEqual([]);
    expect(failures.map((f) => f.message)).toEqual([]);
    expect(rssAfter - rssBefore).toBeLessThan(256 * 2 ** 20);
    expect(await sipOptionsProbe(HOST, ap.port, PROBE, 'example.com')).toMatch(/^SIP\/2\.0 200 /);
  });
});
