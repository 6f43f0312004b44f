/**
 * Scenario a (single-flow overload) and d (RSS around that burst): one sipp caller on one
 * address:port (`-t u1`, so the kernel's reuseport hash pins the flow to one worker) offers
 * more calls than a worker handles; every call must complete or be refused at once with 503.
 */
import { join } from 'node:path';
import { runSipp } from '../sip-cps-lib/sipp.ts';
import { percentile } from '../sip-cps-lib/stats.ts';
import { statStartMs } from '../workers-cps-lib/stat-rows.ts';
import type { ApplianceProc } from './appliance-proc.ts';
import { judgeOverload, judgeRss, type Verdict } from './bounds.ts';
import type { ViaLoggingCallee } from './callee.ts';
import { readTimedRtts, type TimedRtt } from './sipp-traces.ts';
import { FIGURES_UNTIL_MS, rssFigures, RssSampler, type RssFigures } from './rss.ts';

export interface OverloadSetup {
  readonly tmp: string;
  readonly sippDir: string;
  readonly target: string;
  readonly caller: { ip: string; port: number };
  readonly callee: string;
  readonly rate: number;
  readonly seconds: number;
  /** Bounded wait for the RSS to come back after the burst. */
  readonly rssWaitMs: number;
}

export interface OverloadResult {
  readonly rate: number;
  readonly offered: number;
  readonly answered: number;
  readonly shed: number;
  /** Neither completed nor refused with 503 (sipp failed, or never ended). */
  readonly failed: number;
  readonly retransmissions: number;
  /** First 503's arrival after the first INVITE was sent. */
  readonly firstShedMs?: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** INVITE → 200 alone (the calls that went through). */
  readonly p99AnsweredMs: number;
  /** sipp's run from first INVITE to exit, s. */
  readonly wallSeconds: number;
  /** INVITEs reaching the callee, by the forwarding worker's Via port. */
  readonly split: ReadonlyMap<number, number>;
  /** Per worker pid. */
  readonly rss: ReadonlyMap<number, RssFigures | undefined>;
  readonly rssWaitedMs: number;
  /** Per 0.5 s of final responses: count/503s/p99 ms. */
  readonly timeline: string;
  readonly verdict: Verdict;
  readonly rssVerdict: Verdict;
  readonly dir: string;
}

/** Runs the burst with RSS sampling around it, then waits (bounded) for the RSS to come back. */
export async function runOverload(s: OverloadSetup, app: ApplianceProc, callee: ViaLoggingCallee): Promise<OverloadResult> {
  const pids = app.workerPids();
  const sampler = new RssSampler(pids);
  await Bun.sleep(2000); // the pre-burst figure
  const viaBefore = callee.viaPorts().length;
  const n = Math.round(s.rate * s.seconds);
  const timeout = Math.ceil(s.seconds * 1.5 + 10);
  const burstStart = Date.now();
  const run = await runSipp(s.tmp, 'overload', [
    '-sf', join(s.sippDir, 'uac-call-or-503-rtd.xml'), '-s', s.callee, s.target,
    '-i', s.caller.ip, '-p', String(s.caller.port), '-t', 'u1', '-r', String(s.rate), '-m', String(n),
    '-trace_rtt', '-rtt_freq', '1', '-timeout', `${timeout}s`,
  ], (timeout + 10) * 1000);
  const burstEnd = Date.now();

  const rtts = readTimedRtts(run.dir);
  const sent = rtts.length ? Math.min(...rtts.map((r) => r.atMs - r.ms)) : 0;
  const shedAt = rtts.filter((r) => r.rtd === 'shed').map((r) => r.atMs);
  const all = rtts.map((r) => r.ms);
  const answeredMs = rtts.filter((r) => r.rtd === 'answer').map((r) => r.ms);
  const c = run.counters;
  const split = new Map<number, number>();
  for (const port of callee.viaPorts().slice(viaBefore)) split.set(port, (split.get(port) ?? 0) + 1);
  const sippStart = statStartMs(join(run.dir, 'stat.csv'));

  // Recovery: until every worker is back within 20 % of its pre-burst figure, or the bound;
  // and at least 60 s after the burst (within the bound), for the 30 s and 60 s figures.
  const figures = () => new Map(pids.map((pid) => [pid, rssFigures(sampler.samples.get(pid) ?? [], burstStart, burstEnd)]));
  const waitUntil = Date.now() + s.rssWaitMs;
  const pending = () => Date.now() < burstEnd + FIGURES_UNTIL_MS || [...figures().values()].some((f) => f !== undefined && f.recoveryMs === undefined);
  while (Date.now() < waitUntil && pending()) await Bun.sleep(200);
  sampler.stop();
  const rss = figures();
  const rssWaitedMs = Date.now() - burstEnd;
  const slowest = [...rss.values()].reduce<number | undefined>((a, f) => (f?.recoveryMs === undefined || a === undefined ? undefined : Math.max(a, f.recoveryMs)), 0);

  const offered = c?.created ?? 0;
  const result = {
    rate: s.rate, offered, answered: answeredMs.length, shed: shedAt.length,
    failed: c ? Math.max(c.failed, n - c.successful) : n,
    retransmissions: c?.retransmissions ?? 0,
    ...(shedAt.length ? { firstShedMs: Math.min(...shedAt) - sent } : {}),
    p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), p99AnsweredMs: percentile(answeredMs, 99),
    wallSeconds: sippStart ? (burstEnd - sippStart) / 1000 : run.wallMs / 1000,
    split, rss, rssWaitedMs, dir: run.dir, timeline: timeline(rtts, sent),
  };
  return { ...result, verdict: judgeOverload({ ...result, offered: n }), rssVerdict: judgeRss(slowest, rssWaitedMs) };
}

/** Final responses per 0.5 s after the first INVITE: `<t>s:<responses>/<503s>/<p99 ms>`. */
export function timeline(rtts: readonly TimedRtt[], sentMs: number, bucketMs = 500): string {
  const buckets = new Map<number, TimedRtt[]>();
  for (const r of rtts) {
    const k = Math.floor((r.atMs - sentMs) / bucketMs);
    const b = buckets.get(k);
    if (b) b.push(r);
    else buckets.set(k, [r]);
  }
  return [...buckets].sort((a, b) => a[0] - b[0]).map(([k, rs]) =>
    `${((k * bucketMs) / 1000).toFixed(1)}s:${rs.length}/${rs.filter((r) => r.rtd === 'shed').length}/${percentile(rs.map((r) => r.ms), 99)}`).join(' ');
}
