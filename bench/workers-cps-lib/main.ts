/**
 * bench/workers-cps: calls/s with 1 connection control section vs 2, and the scale-out /
 * scale-in transition under load (issue 4). Loopback only, one appliance at a time; see
 * docs/BENCHMARKS.md "Connection control sections: 1 vs 2, and the scale-out transition".
 * Last line: `workers_speedup=<max calls/s with 2 / with 1>`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ApplianceSut } from '../sip-cps-lib/appliance-sut.ts';
import { judge, stepTimeout, type MeasureOptions } from '../sip-cps-lib/measure.ts';
import { stopAll, stopOnSignals } from '../sip-cps-lib/processes.ts';
import { errorExcerpt, runSipp, SIPP } from '../sip-cps-lib/sipp.ts';
import { searchMaxRate } from '../sip-cps-lib/stats.ts';
import { SutUnavailable, type SutContext } from '../sip-cps-lib/sut.ts';
import { Callee, callerArgs, callStep, SPREAD, type CallSetup, type Log } from './calls.ts';
import { EventLog, type LoggedEvent } from './event-log.ts';
import { readStatRows, rowAt, statStartMs } from './stat-rows.ts';

const USAGE = `usage: bench/workers-cps [options]
  --step-seconds S        seconds of calls per rate step (default 5)
  --start-cps N           first call rate of the 1-worker search (default 300)
  --factor F              ramp factor between steps (default 1.5)
  --bisect N              bisection steps after the first failing rate (default 3)
  --load-seconds S        transition: seconds of steady load (default 30)
  --load-rate N           transition: calls/s (default min(1.3 x 1-worker max, 0.8 x 2-worker max))
  --scale-in-cooldown S   transition: [control] scale_in_cooldown_seconds (default 20; the policy's own is 60)
  --scale-in-wait S       transition: how long to wait for the scale-in after the load (default 90,
                          cut so that the whole run stays under 6 min)
  --search-budget S       seconds per max-rate search; past it no further step runs (default 110)
  --only PART             max | transition (transition alone needs --load-rate)
  --keep                  keep the temp dir (sipp and appliance logs) after a successful run`;

const libDir = dirname(Bun.fileURLToPath(import.meta.url));
const repo = resolve(libDir, '../..');
const benchDir = join(repo, 'bench');

/** Addresses apart from bench/sip-cps's (127.0.0.2-.13) so both can run on one box. */
const HOST = '127.0.0.4';
const PORT = 5060;
const WEB_PORT = 18084;
const CALLER = { ip: '127.0.0.20', port: 5061 };
const CALLEE = { ip: '127.0.0.21', port: 5070 };
const PROBE = { ip: '127.0.0.23', port: 5063 };

interface Args {
  o: MeasureOptions;
  loadSeconds: number;
  loadRate?: number;
  scaleInCooldown: number;
  scaleInWait: number;
  only?: 'max' | 'transition';
  keep: boolean;
  searchBudget: number;
}

/** The whole run stays under 6 minutes: the scale-in wait is cut to what is left of this. */
const RUN_BUDGET_MS = 345_000;
const runStart = Date.now();

function parse(argv: string[]): Args {
  const o: MeasureOptions = {
    stepSeconds: 5, regStepSeconds: 3, latencySeconds: 0, startCps: 300, startRps: 0,
    factor: 1.5, bisectSteps: 3, maxFailRatio: 0.001, recoverSeconds: 3, confirm: true, curveRates: [],
    calls: true, registers: false,
  };
  const a: Args = { o, loadSeconds: 30, scaleInCooldown: 20, scaleInWait: 90, keep: false, searchBudget: 110 };
  const num = (i: number, zeroOk = false) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0 || (!zeroOk && v === 0)) throw new Error(`${argv[i]} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    switch (k) {
      case '--step-seconds': o.stepSeconds = num(i++); break;
      case '--start-cps': o.startCps = num(i++); break;
      case '--factor': o.factor = num(i++); break;
      case '--bisect': o.bisectSteps = Math.round(num(i++, true)); break;
      case '--load-seconds': a.loadSeconds = num(i++); break;
      case '--load-rate': a.loadRate = Math.round(num(i++)); break;
      case '--scale-in-cooldown': a.scaleInCooldown = Math.round(num(i++, true)); break;
      case '--scale-in-wait': a.scaleInWait = num(i++); break;
      case '--only': {
        const p = argv[++i];
        if (p !== 'max' && p !== 'transition') throw new Error('--only takes max or transition');
        a.only = p;
        break;
      }
      case '--search-budget': a.searchBudget = num(i++); break;
      case '--keep': a.keep = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${k}\n${USAGE}`);
    }
  }
  if (a.only === 'transition' && a.loadRate === undefined) throw new Error('--only transition needs --load-rate');
  return a;
}

const rel = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

interface Started {
  sut: ApplianceSut;
  ctx: SutContext;
  events: EventLog;
  calls: CallSetup;
  callee: Callee;
}

/** Starts the appliance with `control` lines, waits for `workers` running sections, registers the callee. */
async function startAppliance(tmp: string, name: string, control: string[], workers: number, sc: Scenarios, log: Log): Promise<Started> {
  const ctx: SutContext = {
    dir: join(tmp, name), trusted: [CALLER.ip, CALLEE.ip], callee: '201', regUsers: [],
    password: 'Bench-Pass-2024', domain: 'office.lan',
  };
  mkdirSync(ctx.dir, { recursive: true });
  const sut = new ApplianceSut(HOST, PORT, repo, PROBE, join(benchDir, 'sipp'), WEB_PORT, ['[control]', ...control]);
  log(`  config [control]: ${control.join(', ')}`);
  await sut.start(ctx);
  const events = new EventLog(join(ctx.dir, 'data'));
  const ready = await events.waitFor((es) => es.filter((e) => e.kind === 'control.worker.ready').length >= workers, 20_000);
  if (!ready.ok) {
    await sut.stop();
    throw new SutUnavailable(`only ${ready.events.filter((e) => e.kind === 'control.worker.ready').length} of ${workers} connection control sections ready after 20 s`);
  }
  const calls: CallSetup = {
    dir: ctx.dir, target: `${HOST}:${PORT}`, caller: CALLER, callee: CALLEE, calleeNumber: ctx.callee,
    uacCall: sc.uacCall, uasCallee: sc.uasCallee, register: sc.register,
  };
  const callee = new Callee(calls, log);
  if (!(await callee.start())) {
    await sut.stop();
    throw new SutUnavailable('callee REGISTER failed');
  }
  return { sut, ctx, events, calls, callee };
}

async function stopAppliance(s: Started | undefined): Promise<void> {
  if (!s) return;
  await s.callee.stop();
  s.events.close();
  await s.sut.stop();
}

interface Scenarios {
  uacCall: string;
  uasCallee: string;
  register: string;
}

interface FixedResult {
  workers: number;
  maxCps: number;
  shedEvents: number;
  scaleEvents: number;
  crashes: number;
  note?: string;
}

/** Part 1: the max sustained call rate with a fixed number of connection control sections. */
async function measureFixed(tmp: string, workers: number, startCps: number, a: Args, sc: Scenarios, log: Log): Promise<FixedResult> {
  log(`\n== ${workers} connection control section${workers > 1 ? 's' : ''} (min_workers = max_workers = ${workers}), caller ${SPREAD.join(' ')}`);
  const res: FixedResult = { workers, maxCps: 0, shedEvents: 0, scaleEvents: 0, crashes: 0 };
  let s: Started | undefined;
  try {
    s = await startAppliance(tmp, `w${workers}`, [`min_workers = ${workers}`, `max_workers = ${workers}`], workers, sc, log);
    const st = s;
    const smoke = await callStep(st.calls, st.callee, a.o, log, 'smoke', 10, 1);
    if (!smoke.pass) {
      res.note = 'calls fail even at 10/s';
      return res;
    }
    // Fixed worker counts cannot scale, but the policy still sheds (503) when the sections stay
    // saturated, and keeps shedding into the next step; each step starts once it has stopped.
    const unshed = async () => {
      const last = st.events.control().filter((e) => e.kind === 'control.shed' || e.kind === 'control.stop-shedding').pop();
      if (last?.kind !== 'control.shed') return;
      const t = Date.now();
      const w = await st.events.waitFor((es) => es.some((e) => e.kind === 'control.stop-shedding'), 20_000, last.id, 250);
      log(`           shedding in force: ${w.ok ? `stopped after ${rel(Date.now() - t)}` : 'still on after 20 s'} (waited before the next step)`);
    };
    const deadline = Date.now() + a.searchBudget * 1000;
    let cut = false;
    res.maxCps = await searchMaxRate(async (rate) => {
      if (Date.now() > deadline) {
        if (!cut) log(`  search budget (${a.searchBudget} s) used: no more steps; ${rate}/s counts as not sustained`);
        cut = true;
        res.note = `search cut by its ${a.searchBudget} s budget`;
        return false;
      }
      await unshed();
      return (await callStep(st.calls, st.callee, a.o, log, 'calls', rate, a.o.stepSeconds)).pass;
    }, {
      start: startCps, factor: a.o.factor, bisectSteps: a.o.bisectSteps, max: 50_000, grain: 10, confirmFirstFailure: a.o.confirm,
    });
    const evs = st.events.control();
    res.shedEvents = evs.filter((e) => e.kind === 'control.shed').length;
    res.scaleEvents = evs.filter((e) => e.kind === 'control.scale-out' || e.kind === 'control.scale-in').length;
    res.crashes = evs.filter((e) => e.kind === 'control.worker.crash').length;
    for (const e of evs.filter((x) => x.kind === 'control.shed' || x.kind === 'control.worker.crash' || x.kind.startsWith('control.scale'))) {
      log(`  event ${e.kind}: ${e.message}`);
    }
    log(`  -> max ${res.maxCps} calls/s with ${workers} (shed events ${res.shedEvents}, scale events ${res.scaleEvents}, worker crashes ${res.crashes})`);
    return res;
  } catch (e) {
    res.note = e instanceof SutUnavailable ? e.message : `error: ${(e as Error).stack ?? e}`;
    log(`  SKIPPED: ${res.note}`);
    return res;
  } finally {
    await stopAppliance(s);
  }
}

interface Transition {
  rate: number;
  seconds: number;
  calls: number;
  ok: number;
  failed: number;
  failedFirst10s?: number;
  retrans: number;
  pass: boolean;
  scaleOutMs?: number;
  readyMs?: number;
  shedEvents: number;
  scaleInMs?: number;
  exitMs?: number;
  loadStopAfterStartMs: number;
  loadEndAfterStartMs: number;
  cooldown: number;
  events: string[];
  note?: string;
}

/** Part 2: min 1 / max 2 workers, 1 s samples, steady load above one worker's max, then idle. */
async function measureTransition(tmp: string, rate: number, a: Args, sc: Scenarios, log: Log): Promise<Transition | string> {
  const control = ['min_workers = 1', 'max_workers = 2', 'sample_schedule = "*/1 * * * * *"'];
  if (a.scaleInCooldown !== 60) control.push(`scale_in_cooldown_seconds = ${a.scaleInCooldown}`);
  log(`\n== transition: ${rate} calls/s for ${a.loadSeconds} s, caller ${SPREAD.join(' ')}, then idle until scale-in (up to ${a.scaleInWait} s)`);
  let s: Started | undefined;
  try {
    s = await startAppliance(tmp, 'transition', control, 1, sc, log);
    const smoke = await callStep(s.calls, s.callee, a.o, log, 'smoke', 10, 1);
    if (!smoke.pass) return 'calls fail even at 10/s';
    // a few calm samples before the load, so the policy's windows start from a quiet state
    await Bun.sleep(2000);
    const before = s.events.control();
    const lastId = before.length ? before[before.length - 1].id : 0;
    const n = Math.round(rate * a.loadSeconds);
    const t = stepTimeout(a.loadSeconds);
    const loadStart = Date.now();
    const run = await runSipp(s.calls.dir, 'load', callerArgs(s.calls, rate, n, ['-timeout', `${t}s`]), (t + 10) * 1000);
    const loadEnd = Date.now();
    const statFile = join(run.dir, 'stat.csv');
    const sippStart = statStartMs(statFile) ?? loadStart;
    const j = judge(run, n, rate, a.o);
    log(`  load     ${String(rate).padStart(6)}/s x ${String(n).padStart(6)}: ${j.line}`);
    const rows = readStatRows(statFile);
    // per-second timeline: created, ok, failed, retransmissions in each 1 s row
    const line: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const p = i ? rows[i - 1] : { created: 0, successful: 0, failed: 0, retransmissions: 0 };
      const r = rows[i];
      line.push(`${r.t.toFixed(0)}s:${r.created - p.created}/${r.successful - p.successful}/${r.failed - p.failed}/${r.retransmissions - p.retransmissions}`);
    }
    log(`  per second (created/ok/failed/retrans): ${line.join(' ')}`);
    const c = run.counters;
    const failed = c ? Math.max(c.failed, n - c.successful) : n;
    if (failed > 0) {
      const e = errorExcerpt(run.dir, 4);
      if (e) log(`           ${e.replace(/\n/g, '\n           ')}`);
    }
    const first10 = rowAt(rows, 10);
    // the load stops when sipp has created its last call (1 s rows); stragglers end after that
    const allCreated = rows.find((r) => r.created >= n);
    const loadStop = allCreated ? sippStart + allCreated.t * 1000 : loadEnd;

    // wait for the scale-in: the drain decision, then the worker's exit
    const wait = Math.max(15, Math.min(a.scaleInWait, (RUN_BUDGET_MS - (Date.now() - runStart)) / 1000));
    log(`  last call created at start+${rel(loadStop - sippStart)}, all ended at start+${rel(loadEnd - sippStart)}; waiting up to ${wait.toFixed(0)} s for scale-in (cool-down ${a.scaleInCooldown} s after the scale-out, 10 of 12 low 1 s samples)`);
    const waited = await s.events.waitFor((es) => {
      const si = es.find((e) => e.kind === 'control.scale-in');
      return si !== undefined && es.some((e) => e.kind === 'control.worker.exit' && e.id > si.id);
    }, wait * 1000, lastId, 500);
    const evs = waited.events;
    const so = evs.find((e) => e.kind === 'control.scale-out');
    const ready = so && evs.find((e) => e.kind === 'control.worker.ready' && e.id > so.id);
    const si = evs.find((e) => e.kind === 'control.scale-in');
    const exit = si && evs.find((e) => e.kind === 'control.worker.exit' && e.id > si.id);
    const fmtEv = (e: LoggedEvent) => `${e.ts >= loadStop ? `stop+${rel(e.ts - loadStop)}` : `start+${rel(e.ts - sippStart)}`} ${e.kind}: ${e.message}`;
    for (const e of evs) log(`  event ${fmtEv(e)}`);
    return {
      rate, seconds: a.loadSeconds, calls: n, ok: c?.successful ?? 0, failed,
      failedFirst10s: first10?.failed, retrans: c?.retransmissions ?? 0, pass: j.pass,
      scaleOutMs: so && so.ts - sippStart, readyMs: ready && ready.ts - sippStart,
      shedEvents: evs.filter((e) => e.kind === 'control.shed').length,
      scaleInMs: si && si.ts - loadStop, exitMs: exit && exit.ts - loadStop,
      loadStopAfterStartMs: loadStop - sippStart, loadEndAfterStartMs: loadEnd - sippStart, cooldown: a.scaleInCooldown,
      events: evs.map(fmtEv),
      note: waited.ok ? undefined : `no scale-in + worker exit within ${wait.toFixed(0)} s after the calls ended`,
    };
  } catch (e) {
    const msg = e instanceof SutUnavailable ? e.message : `error: ${(e as Error).stack ?? e}`;
    log(`  SKIPPED: ${msg}`);
    return msg;
  } finally {
    await stopAppliance(s);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const out = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}

async function main(): Promise<number> {
  let a: Args;
  try {
    a = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const uacCall = resolve(repo, '../shared/bench/sipp/uac-call.xml');
  if (!existsSync(uacCall)) {
    console.error(`error: caller scenario not found: ${uacCall}`);
    return 2;
  }
  if (!existsSync(SIPP)) {
    console.error(`error: sipp not found at ${SIPP} (set SIPP=/path/to/sipp)`);
    return 2;
  }
  const sc: Scenarios = { uacCall, uasCallee: join(benchDir, 'sipp/uas-callee.xml'), register: join(benchDir, 'sipp/register.xml') };

  const tmp = mkdtempSync(join(tmpdir(), 'workers-cps-'));
  const interrupted = stopOnSignals(tmp);

  const log: Log = (l) => console.log(l);
  const t0 = Date.now();
  log(`workers-cps: ${navigator.hardwareConcurrency} cores, appliance ${HOST}:${PORT}, temp dir ${tmp}`);
  log(`steps: ${a.o.stepSeconds} s of calls, pass if < ${a.o.maxFailRatio * 100}% failed, offered >= 90%, drained in 1.5 x step + 2 s (as bench/sip-cps)`);

  let one: FixedResult | undefined;
  let two: FixedResult | undefined;
  if (a.only !== 'transition') {
    one = await measureFixed(tmp, 1, a.o.startCps, a, sc, log);
    // the 2-section search ramps from the 1-section max (known to pass), saving the low steps
    if (!interrupted()) two = await measureFixed(tmp, 2, Math.max(a.o.startCps, one.maxCps), a, sc, log);
  }
  let tr: Transition | string | undefined;
  let trRate = a.loadRate;
  if (trRate === undefined && one && two && one.maxCps > 0 && two.maxCps > 0) {
    trRate = Math.round(Math.min(1.3 * one.maxCps, 0.8 * two.maxCps) / 10) * 10;
    if (trRate <= one.maxCps) log(`\nnote: 0.8 x the 2-section max (${two.maxCps}) is not above the 1-section max (${one.maxCps}): the transition load (${trRate}/s) may not overload one section`);
  }
  if (a.only !== 'max' && !interrupted()) {
    tr = trRate === undefined ? 'no load rate: part 1 did not measure both maxima' : await measureTransition(tmp, trRate, a, sc, log);
  }
  await stopAll();

  log(`\nfinished in ${((Date.now() - t0) / 1000).toFixed(0)} s (${new Date().toISOString()})`);
  let failed = false;
  if (one && two) {
    const rows = [['connection control sections', 'max calls/s (sustained)', 'shed events', 'worker crashes']];
    for (const r of [one, two]) {
      rows.push([`${r.workers} (min = max = ${r.workers})`, r.note && r.maxCps === 0 ? `- (${r.note.split('\n')[0]})` : String(r.maxCps), String(r.shedEvents), String(r.crashes)]);
      if (r.maxCps === 0) failed = true;
    }
    log(`\n${table(rows)}`);
    for (const r of [one, two]) if (r.note) log(`note: ${r.workers} section(s): ${r.note.split('\n')[0]}`);
  }
  if (tr !== undefined) {
    if (typeof tr === 'string') {
      log(`\ntransition: not measured: ${tr}`);
      failed = true;
    } else {
      const pct = (x: number) => `${x} of ${tr.calls} (${((x / tr.calls) * 100).toFixed(2)}%)`;
      log(`\ntransition: min_workers 1, max_workers 2, 1 s samples, default thresholds${tr.cooldown !== 60 ? `, scale_in_cooldown_seconds = ${tr.cooldown}` : ''}; ${tr.rate} calls/s for ${tr.seconds} s`);
      log(table([
        ['measure', 'value'],
        ['load start -> scale-out decided', rel(tr.scaleOutMs)],
        ['load start -> 2nd section running', rel(tr.readyMs)],
        ['calls failed, whole load', pct(tr.failed)],
        ['calls failed by 10 s', tr.failedFirst10s === undefined ? '-' : String(tr.failedFirst10s)],
        ['retransmissions (caller)', String(tr.retrans)],
        ['load step passes (sip-cps rule)', tr.pass ? 'yes' : 'no'],
        ['shed events during the run', String(tr.shedEvents)],
        ['load start -> last call created (load stop)', rel(tr.loadStopAfterStartMs)],
        ['load start -> last call ended', rel(tr.loadEndAfterStartMs)],
        ['load stop -> scale-in decided', rel(tr.scaleInMs)],
        ['load stop -> section exited', rel(tr.exitMs)],
      ]));
      if (tr.note) log(`note: ${tr.note}`);
      if (tr.readyMs === undefined) failed = true;
    }
  }
  if (one && two && one.maxCps > 0) log(`workers_speedup=${(two.maxCps / one.maxCps).toFixed(2)}`);
  if (a.keep || failed) log(`logs: ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  return failed ? 1 : 0;
}

process.exit(await main());
