/**
 * bench/faults (issue 12): in one run against `bun appliance/main.ts --config <tmp toml>` (2
 * workers, max_workers = 2) on 127.0.170.1, with sipp on 127.0.170.x: (a) a single-flow
 * overload, (b) SIGTERM + restart under 20 calls/s, (c) kill -9 of a worker and of the main
 * process under 200 REGISTER/s, (d) worker RSS around the burst of (a). Prints one table;
 * exits 1 when a bound does not hold (bounds.ts; docs/SIP.md "Fault bench").
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stopAll, stopOnSignals } from '../sip-cps-lib/processes.ts';
import { SIPP } from '../sip-cps-lib/sipp.ts';
import { ApplianceProc } from './appliance-proc.ts';
import { BOUNDS } from './bounds.ts';
import { ViaLoggingCallee } from './callee.ts';
import { runDurable, type DurableResult } from './durable.ts';
import { runOverload, type OverloadResult } from './overload.ts';
import { runRestart, type RestartResult } from './restart.ts';
import { table } from './table.ts';

const USAGE = `usage: bench/faults [options]
  --overload-rate N      single-flow calls/s offered from one address:port (default 3000: beyond
                         one worker on a 2-core box with sipp on the same cores)
  --overload-seconds S   length of that burst (default 5)
  --rss-wait S           bounded wait for the RSS to come back after the burst (default 60)
  --only LIST            run only these scenarios, comma-separated of a,b,c (d comes with a)
  --keep                 keep the temp dir (sipp and appliance logs) after a passing run`;

const libDir = dirname(Bun.fileURLToPath(import.meta.url));
const repo = resolve(libDir, '../..');
const sippDir = join(repo, 'bench/sipp');

/** 127.0.170.0/24 is this bench's (the TCP flood test uses .40-.60). */
const HOST = '127.0.170.1';
const PORT = 5060;
const CALLEE = { ip: '127.0.170.10', port: 5070 };
const HOT_CALLER = { ip: '127.0.170.20', port: 5061 };
const RESTART_CALLER = { ip: '127.0.170.21', port: 5062 };
const GATEWAY = '127.0.170.30';
const PROBE = { ip: '127.0.170.13', port: 5063 };
const REGISTER_USERS = Array.from({ length: 1000 }, (_, i) => String(3000 + i));

interface Args {
  rate: number;
  seconds: number;
  rssWait: number;
  keep: boolean;
  only: ReadonlySet<string>;
}

function parse(argv: string[]): Args {
  const a: Args = { rate: 3000, seconds: 5, rssWait: 60, keep: false, only: new Set(['a', 'b', 'c']) };
  const num = (i: number) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${argv[i]} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--overload-rate': a.rate = Math.round(num(i++)); break;
      case '--overload-seconds': a.seconds = num(i++); break;
      case '--rss-wait': a.rssWait = num(i++); break;
      case '--keep': a.keep = true; break;
      case '--only': {
        const list = (argv[++i] ?? '').split(',').filter(Boolean);
        if (list.length === 0 || list.some((x) => !['a', 'b', 'c'].includes(x))) throw new Error('--only takes a comma-separated list of a, b, c');
        a.only = new Set(list);
        break;
      }
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  return a;
}

const pct = (x: number, of: number) => (of > 0 ? `${((100 * x) / of).toFixed(2)} %` : '-');
const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${Math.round(x)} ms`);
const mb = (b: number | undefined) => (b === undefined ? '-' : `${(b / 1048576).toFixed(0)} MB`);
const mark = (ok: boolean) => (ok ? 'ok' : 'FAIL');

function overloadRows(o: OverloadResult): string[][] {
  const split = [...o.split].sort((x, y) => x[0] - y[0]).map(([port, n]) => `${port}: ${n}`).join(', ') || 'none';
  return [
    ['a single flow', `offered (${o.rate}/s, -t u1)`, String(o.offered), '', ''],
    ['', 'answered 200 / refused 503', `${o.answered} / ${o.shed}`, '', ''],
    ['', '503 share', pct(o.shed, o.offered), '> 0', mark(o.shed > 0)],
    ['', 'first 503 after load start', ms(o.firstShedMs), `<= ${BOUNDS.shedReactionMs} ms`, mark((o.firstShedMs ?? Infinity) <= BOUNDS.shedReactionMs)],
    ['', 'failed calls (not 503)', `${o.failed} (${pct(o.failed, o.offered)})`, `<= ${BOUNDS.failedShare * 100} %`, mark(o.failed <= o.offered * BOUNDS.failedShare)],
    ['', 'caller retransmissions', String(o.retransmissions), `<= ${BOUNDS.retransShare * 100} %`, mark(o.retransmissions <= o.offered * BOUNDS.retransShare)],
    ['', 'INVITE → final p50 / p99', `${ms(o.p50Ms)} / ${ms(o.p99Ms)}`, `p99 <= ${BOUNDS.p99Ms} ms`, mark(o.p99Ms <= BOUNDS.p99Ms)],
    ['', 'INVITE → 200 p99', ms(o.p99AnsweredMs), '', ''],
    ['', 'INVITEs at the callee, by worker Via', split, '', ''],
  ];
}

function restartRows(r: RestartResult): string[][] {
  return [
    ['b SIGTERM + restart', `calls (20/s, 1 s each)`, String(r.calls), '', ''],
    ['', 'answered / refused 503', `${r.answered} / ${r.refused}`, '', ''],
    ['', 'failed calls', String(r.failed), `<= ${BOUNDS.restartFailed}`, mark(r.verdict.ok)],
    ['', 'caller retransmissions', String(r.retransmissions), '', ''],
    ['', 'SIGTERM → exited / → answering again', `${ms(r.stopMs)} / ${ms(r.backMs)}`, '', ''],
  ];
}

function durableRows(d: DurableResult): string[][] {
  const what = d.victim === 'worker' ? 'c kill -9 worker' : 'c kill -9 main';
  return [
    [what, 'REGISTERs sent (200/s) / acknowledged', `${d.sent} / ${d.acknowledged}`, '', ''],
    ['', 'acknowledged bindings lost', String(d.lost), `<= ${BOUNDS.lostBindings}`, mark(d.verdict.ok)],
    ['', d.victim === 'worker' ? 'kill → replacement running' : 'kill → restarted, ready', ms(d.backMs), '', ''],
  ];
}

function rssRows(o: OverloadResult): string[][] {
  const rows: string[][] = [];
  let first = true;
  for (const [pid, f] of o.rss) {
    rows.push([first ? 'd RSS (burst of a)' : '', `pid ${pid} before / peak / 30 s / 60 s after`, `${mb(f?.beforeBytes)} / ${mb(f?.peakBytes)} / ${mb(f?.at30sBytes)} / ${mb(f?.at60sBytes)}`, '', '']);
    rows.push(['', `pid ${pid} back within 20 % after`, f?.recoveryMs === undefined ? `not in ${Math.round(o.rssWaitedMs / 1000)} s` : ms(f.recoveryMs),
      `<= ${BOUNDS.rssRecoveryMs / 1000} s`, mark(f?.recoveryMs !== undefined && f.recoveryMs <= BOUNDS.rssRecoveryMs)]);
    first = false;
  }
  return rows;
}

async function main(): Promise<number> {
  let a: Args;
  try {
    a = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const holdScenario = join(repo, 'test/fixtures/sipp/uac-call-hold.xml');
  for (const f of [SIPP, holdScenario, join(repo, 'node_modules/.bin/bun')]) {
    if (!existsSync(f)) {
      console.error(`error: ${f} not found`);
      return 2;
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'faults-'));
  const interrupted = stopOnSignals(tmp);
  const log = (l: string) => console.log(l);
  const t0 = Date.now();
  log(`faults: ${navigator.hardwareConcurrency} cores, appliance ${HOST}:${PORT} (2 workers), temp dir ${tmp}`);
  const target = `${HOST}:${PORT}`;
  const app = new ApplianceProc({
    repo, dir: tmp, host: HOST, port: PORT, trusted: [CALLEE.ip, HOT_CALLER.ip, RESTART_CALLER.ip, GATEWAY], probe: PROBE, sippDir,
    extensions: ['201', ...REGISTER_USERS], password: 'Faults-Pass-2024',
  });
  const callee = new ViaLoggingCallee({ tmp, sippDir, target, ip: CALLEE.ip, port: CALLEE.port, number: '201' });
  const verdicts: Array<{ name: string; ok: boolean; why: readonly string[] }> = [];
  const rows: string[][] = [['scenario', 'measure', 'value', 'bound', '']];
  try {
    app.prepare();
    log(`  started in ${await app.start()} ms; workers ${app.workerPids().join(', ')}`);
    await callee.start();

    const crashesSince = (since: number) => app.events.control().filter((e) => e.kind === 'control.worker.crash' && e.ts >= since).length;
    if (a.only.has('a')) {
      const aStart = Date.now();
      log(`a/d: ${a.rate} calls/s for ${a.seconds} s from ${HOT_CALLER.ip}:${HOT_CALLER.port} (one socket)`);
      const o = await runOverload({ tmp, sippDir, target, caller: HOT_CALLER, callee: '201', rate: a.rate, seconds: a.seconds, rssWaitMs: a.rssWait * 1000 }, app, callee);
      rows.push(...overloadRows(o), ...rssRows(o));
      verdicts.push({ name: 'a single-flow overload', ...o.verdict }, { name: 'd RSS recovery', ...o.rssVerdict });
      const crashes = crashesSince(aStart);
      rows.push(['a + d', 'worker crashes (event log)', String(crashes), '0', mark(crashes === 0)]);
      if (crashes > 0) verdicts.push({ name: 'a + d', ok: false, why: [`${crashes} worker crash(es) during the burst`] });
      log(`  done (sipp ${o.wallSeconds.toFixed(1)} s, ${o.dir})`);
      log(`  final responses per 0.5 s (responses/503s/p99 ms): ${o.timeline}`);
    }

    if (a.only.has('b') && !interrupted()) {
      log('b: SIGTERM + restart under 20 calls/s');
      const bStart = Date.now();
      const r = await runRestart({ tmp, scenario: holdScenario, target, caller: RESTART_CALLER, callee: '201', rate: 20, calls: 400, holdMs: 1000, termAfterMs: 3000 }, app);
      rows.push(...restartRows(r));
      verdicts.push({ name: 'b SIGTERM + restart', ...r.verdict });
      const bCrashes = crashesSince(bStart);
      rows.push(['', 'worker crashes (event log)', String(bCrashes), '0', mark(bCrashes === 0)]);
      if (bCrashes > 0) verdicts.push({ name: 'b SIGTERM + restart', ok: false, why: [`${bCrashes} worker crash(es)`] });
    }
    for (const victim of ['worker', 'main'] as const) {
      if (interrupted() || !a.only.has('c')) break;
      log(`c: kill -9 ${victim} under 200 REGISTER/s`);
      const d = await runDurable({ tmp, sippDir, target, gateway: GATEWAY, extensions: REGISTER_USERS, rate: 200, registers: 1000, killAfterMs: 2500 }, app, victim);
      rows.push(...durableRows(d));
      verdicts.push({ name: `c kill -9 ${victim}`, ...d.verdict });
    }
  } catch (e) {
    verdicts.push({ name: 'run', ok: false, why: [String((e as Error).stack ?? e)] });
  } finally {
    await callee.stop();
    await app.stop();
    await stopAll();
  }
  log(`\nfinished in ${((Date.now() - t0) / 1000).toFixed(0)} s (${new Date().toISOString()})`);
  log(table(rows));
  const failed = verdicts.filter((v) => !v.ok);
  for (const v of failed) log(`FAIL ${v.name}: ${v.why.join('; ')}`);
  if (a.keep || failed.length > 0) log(`logs: ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  return failed.length > 0 ? 1 : 0;
}

process.exit(await main());
