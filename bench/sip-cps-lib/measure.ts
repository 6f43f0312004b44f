/**
 * The measurements for one SUT: the latency curve at fixed call rates, the max latency-bounded
 * call rate, and the max latency-bounded REGISTER rate with the digest round trip. Each probe
 * is one bounded sipp run, judged by `step-rule.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorExcerpt, readRtts, runSipp, startSipp, type SippRun } from './sipp.ts';
import { searchMaxRate } from './stats.ts';
import { judgeStep, type StepVerdict } from './step-rule.ts';
import type { Sut, SutContext } from './sut.ts';

export interface Endpoint {
  ip: string;
  port: number;
}

/** Where the sipp instances sit: caller and callee are trusted, the digest client is not. */
export interface Layout {
  caller: Endpoint;
  callee: Endpoint;
  regClient: Endpoint;
}

export interface Scenarios {
  uacCall: string;
  uasCallee: string;
  register: string;
  registerAuth: string;
}

export interface MeasureOptions {
  stepSeconds: number;
  regStepSeconds: number;
  latencySeconds: number;
  startCps: number;
  startRps: number;
  factor: number;
  bisectSteps: number;
  /** A step passes below this failed-call ratio. */
  maxFailRatio: number;
  /** Pause after a failing step, so the next one does not start on a backlog. */
  recoverSeconds: number;
  /** Run the first failing ramp step twice before believing it. */
  confirm: boolean;
  /** Fixed rates of the latency curve (CURVE_RATES). */
  curveRates: readonly number[];
  /** Which measurements to run. */
  calls: boolean;
  registers: boolean;
}

/** One fixed-rate step of the latency curve (times in ms, INVITE→200). */
export interface CurvePoint {
  rate: number;
  ok: number;
  failed: number;
  retransmissions: number;
  p50: number;
  p99: number;
  p999: number;
  pass: boolean;
}

export interface Figures {
  /** Highest latency-bounded (sustained by `step-rule.ts`) calls/s. */
  maxCps: number;
  /** Highest latency-bounded digest REGISTER/s. */
  maxRps: number;
  curve: CurvePoint[];
  /** Worker counts seen after the steps (the appliance scales between min and max workers). */
  workersSeen: number[];
  notes: string[];
}

type Log = (line: string) => void;

/**
 * Runs a sipp step, once more if sipp stopped before creating all its calls while reporting
 * no failure (seen a few times under heavy load: sipp ends its run early with exit 0).
 */
export async function runStep(run: () => Promise<SippRun>, n: number, log: Log): Promise<SippRun> {
  const r = await run();
  const c = r.counters;
  if (c && c.created < n && r.code === 0 && !r.timedOut) {
    log(`           sipp stopped early (created ${c.created} of ${n}, exit 0): running the step again`);
    await Bun.sleep(1000);
    return run();
  }
  return r;
}

/**
 * The older drain-based rule, still used by bench/workers-cps (bench/sip-cps judges with
 * `judgeRun` / `step-rule.ts`). Pass/fail of one rate step:
 * - fewer than `maxFailRatio` failed (calls sipp never finished count as failed);
 * - sipp created the calls at >= 90% of the asked rate (it slows down when its open calls
 *   reach its limit, 3 x rate x call length, i.e. the SUT is backlogged, or when the 2 shared
 *   cores starve it; either way that rate was not sustained);
 * - all but `maxFailRatio` of the calls had ended within 1.5x the step length + 2 s (read
 *   from the 1 s stat rows, so a few stragglers do not count). A SUT that queues lets sipp's
 *   UDP retransmissions carry the load: nothing fails, but a 2 s step takes 20 s. That rate
 *   is not sustained either. (The 2 s allow for some 500 ms retransmissions of lost datagrams.)
 */
/**
 * sipp's own -timeout for a step: a little past the point where `judge` fails it for backlog
 * anyway, so an overloaded step ends in seconds instead of waiting out retransmissions.
 * Calls still open then count as failed.
 */
export function stepTimeout(seconds: number): number {
  return Math.ceil(seconds * 1.5 + 4);
}

export function judge(r: SippRun, n: number, rate: number, o: MeasureOptions): { pass: boolean; line: string } {
  const c = r.counters;
  const stepMs = (n / rate) * 1000;
  const secs = (r.wallMs / 1000).toFixed(1);
  if (!c) return { pass: false, line: `no statistics (sipp exit ${r.code}${r.timedOut ? ', killed on timeout' : ''})` };
  const failed = Math.max(c.failed, n - c.successful);
  const ratio = failed / n;
  const offered = c.createSeconds > 0 ? c.created / c.createSeconds : 0;
  // a short smoke step is all ramp-up: its pace says nothing
  const slow = n >= 200 && offered < 0.9 * rate;
  const mostEnded = c.ended.find(([, e]) => e >= n * (1 - o.maxFailRatio));
  const drainMs = mostEnded ? mostEnded[0] * 1000 : r.wallMs;
  const backlog = drainMs > stepMs * 1.5 + 2000;
  const pass = ratio < o.maxFailRatio && !slow && !backlog;
  const why = slow ? ` (sipp offered only ${offered.toFixed(0)}/s: its open-call limit or CPU)` : backlog ? ' (backlog: drained too slowly)' : '';
  return {
    pass,
    line: `${r.code > 1 || r.timedOut ? `sipp exit ${r.code}${r.timedOut ? ' (timeout)' : ''}, ` : ''}ok ${c.successful}, failed ${failed} (${(ratio * 100).toFixed(2)}%), retrans ${c.retransmissions}, ` +
      `offered ${offered.toFixed(0)}/s, ${(drainMs / 1000).toFixed(1)}/${secs} s -> ${pass ? 'pass' : 'FAIL'}${why}`,
  };
}

export async function measureSut(
  sut: Sut,
  ctx: SutContext,
  layout: Layout,
  sc: Scenarios,
  o: MeasureOptions,
  log: Log,
): Promise<Figures> {
  const target = `${sut.host}:${sut.port}`;
  const notes: string[] = [];
  const figures: Figures = { maxCps: 0, maxRps: 0, curve: [], workersSeen: [], notes };
  const sample = () => {
    const w = sut.workers?.();
    if (w !== undefined && !figures.workersSeen.includes(w)) figures.workersSeen.push(w);
  };
  // the worker count is sampled each time a step's line (`... -> pass|FAIL`) is logged
  const logAndSample: Log = (l) => {
    log(l);
    if (l.includes(' -> ')) sample();
  };

  const settle = async () => {
    const waited = await sut.settle?.();
    if (waited) log(`           ${waited}`);
  };
  if (o.calls) await callsPart(target, ctx, layout, sc, o, logAndSample, figures, settle);
  if (o.registers) await measureRegisters(target, ctx, layout, sc, o, logAndSample, figures, settle);
  return figures;
}

async function callsPart(
  target: string, ctx: SutContext, layout: Layout, sc: Scenarios, o: MeasureOptions, log: Log, figures: Figures,
  settle: () => Promise<void>,
): Promise<void> {
  const notes = figures.notes;
  // register the callee from its (trusted) address, then answer calls there
  let reg: SippRun | undefined;
  for (let i = 0; i < 3 && reg?.counters?.successful !== 1; i++) {
    reg = await runSipp(ctx.dir, 'register-callee', [
      '-sf', sc.register, '-s', ctx.callee, target,
      '-i', layout.callee.ip, '-p', String(layout.callee.port), '-m', '1', '-timeout', '4s',
    ], 8000);
  }
  if (reg?.counters?.successful !== 1) {
    notes.push(`callee REGISTER failed: ${errorExcerpt(reg!.dir, 3)}`);
    log(`  callee REGISTER failed; skipping call tests\n${errorExcerpt(reg!.dir)}`);
  } else {
    const startUas = () => startSipp(ctx.dir, 'uas-callee', [
      '-sf', sc.uasCallee, '-i', layout.callee.ip, '-p', String(layout.callee.port),
    ]);
    let uas = startUas();
    let uasDown = false;
    const watch = (p: typeof uas) => void p.exited.then((code) => {
      if (p === uas) {
        uasDown = true;
        log(`           callee sipp exited (${code}) during the run`);
      }
    });
    watch(uas);
    // every step runs with a live callee: restart it if it died in the previous one
    const ensureUas = async () => {
      await settle();
      if (!uasDown) return;
      uasDown = false;
      uas = startUas();
      watch(uas);
      await Bun.sleep(300);
    };
    try {
      await Bun.sleep(300);
      await measureCalls(target, ctx, layout, sc, o, log, figures, ensureUas);
    } finally {
      const last = uas;
      uas = undefined as unknown as typeof uas;
      await last.stop();
    }
  }
}

/** Calls/s of the fixed-rate latency curve, the same for every SUT. */
export const CURVE_RATES = [500, 1000, 1500, 2000, 2500] as const;

/** Requests sipp sends per call: INVITE, ACK, BYE (uac-call.xml); REGISTER twice (register-auth.xml). */
const CALL_REQUESTS = 3;
const REGISTER_REQUESTS = 2;

/** Judges one finished sipp step with the honest rule (`step-rule.ts`), reading its rtt files. */
export function judgeRun(r: SippRun, n: number, rate: number, requestsPerCall: number): { verdict: StepVerdict; point: CurvePoint; line: string } {
  const c = r.counters;
  const offered = c && c.createSeconds > 0 ? c.created / c.createSeconds : 0;
  const verdict = judgeStep({
    asked: n, rate, successful: c?.successful ?? 0, failed: c?.failed ?? n, retransmissions: c?.retransmissions ?? 0,
    requestsSent: (c?.created ?? 0) * requestsPerCall, offered, rtts: readRtts(r.dir),
  });
  if (!c) verdict.reasons.unshift(`no statistics (sipp exit ${r.code}${r.timedOut ? ', killed on timeout' : ''})`);
  const point: CurvePoint = {
    rate, ok: c?.successful ?? 0, failed: verdict.failed, retransmissions: c?.retransmissions ?? 0,
    p50: verdict.p50, p99: verdict.p99, p999: verdict.p999, pass: verdict.pass && c !== undefined,
  };
  const ms = (v: number) => (Number.isNaN(v) ? '-' : String(v));
  const line = `${r.code > 1 || r.timedOut ? `sipp exit ${r.code}${r.timedOut ? ' (timeout)' : ''}, ` : ''}ok ${point.ok}, failed ${point.failed} ` +
    `(${(verdict.failRatio * 100).toFixed(2)}%), retrans ${point.retransmissions} (${(verdict.retransRatio * 100).toFixed(2)}%), ` +
    `p50/p99/p99.9 ${ms(point.p50)}/${ms(point.p99)}/${ms(point.p999)} ms, offered ${offered.toFixed(0)}/s, ${(r.wallMs / 1000).toFixed(1)} s -> ` +
    `${point.pass ? 'pass' : `FAIL (${verdict.reasons.join('; ')})`}`;
  return { verdict, point, line };
}

async function measureCalls(
  target: string, ctx: SutContext, layout: Layout, sc: Scenarios, o: MeasureOptions, log: Log, figures: Figures,
  ensureUas: () => Promise<void>,
): Promise<void> {
  const callArgs = (rate: number, n: number, extra: string[] = []) => [
    '-sf', sc.uacCall, '-s', ctx.callee, target,
    '-i', layout.caller.ip, '-p', String(layout.caller.port),
    '-r', String(rate), '-m', String(n), '-trace_rtt', '-rtt_freq', '1', ...extra,
  ];
  const step = async (label: string, rate: number, seconds: number) => {
    const n = Math.max(10, Math.round(rate * seconds));
    await ensureUas();
    const t = stepTimeout(seconds);
    const r = await runStep(() => runSipp(ctx.dir, label, callArgs(rate, n, ['-timeout', `${t}s`]),
      (t + 10) * 1000), n, log);
    const j = judgeRun(r, n, rate, CALL_REQUESTS);
    logStep(label, rate, n, { pass: j.point.pass, line: j.line }, r.dir, log);
    // let the SUT drain; after an overload its retransmitting transactions go on for seconds
    await Bun.sleep(j.point.pass ? 1000 : o.recoverSeconds * 1000);
    return j.point;
  };

  // a tiny smoke call first: a broken call path should say so, not look like "0 calls/s"
  const smoke = await step('smoke', 10, 1);
  if (smoke.ok < 10) {
    figures.notes.push('calls fail even at 10/s');
    return;
  }
  figures.maxCps = await searchMaxRate(async (rate) => (await step('calls', rate, o.stepSeconds)).pass, {
    start: o.startCps, factor: o.factor, bisectSteps: o.bisectSteps, max: 50_000, grain: 10, confirmFirstFailure: o.confirm,
  });
  for (const rate of o.curveRates) figures.curve.push(await step('curve', rate, o.stepSeconds));
}

async function measureRegisters(
  target: string, ctx: SutContext, layout: Layout, sc: Scenarios, o: MeasureOptions, log: Log, figures: Figures,
  settle: () => Promise<void>,
): Promise<void> {
  const users = join(ctx.dir, 'users.csv');
  writeFileSync(users, ['SEQUENTIAL', ...ctx.regUsers.map((u) => `${u};[authentication username=${u} password=${ctx.password}]`), ''].join('\n'));
  const step = async (label: string, rate: number, seconds: number) => {
    const n = Math.max(10, Math.round(rate * seconds));
    await settle();
    const r = await runStep(() => runSipp(ctx.dir, label, [
      '-sf', sc.registerAuth, '-inf', users, target,
      '-i', layout.regClient.ip, '-p', String(layout.regClient.port),
      '-r', String(rate), '-m', String(n), '-trace_rtt', '-rtt_freq', '1', '-timeout', `${stepTimeout(seconds)}s`,
    ], (stepTimeout(seconds) + 10) * 1000), n, log);
    const j = judgeRun(r, n, rate, REGISTER_REQUESTS);
    logStep(label, rate, n, { pass: j.point.pass, line: j.line }, r.dir, log);
    await Bun.sleep(j.point.pass ? 500 : o.recoverSeconds * 1000);
    return j.point;
  };
  if ((await step('reg-smoke', 10, 1)).ok < 10) {
    figures.notes.push('digest REGISTER fails even at 10/s');
    return;
  }
  figures.maxRps = await searchMaxRate(async (rate) => (await step('register', rate, o.regStepSeconds)).pass, {
    start: o.startRps, factor: o.factor, bisectSteps: o.bisectSteps, max: 200_000, grain: 50, confirmFirstFailure: o.confirm,
  });
}

/** One step's line, and sipp's first errors when it failed. */
export function logStep(label: string, rate: number, n: number, j: { line: string; pass: boolean }, dir: string, log: (l: string) => void): void {
  log(`  ${label.padEnd(8)} ${String(rate).padStart(6)}/s x ${String(n).padStart(6)}: ${j.line}`);
  if (!j.pass) {
    const e = errorExcerpt(dir, 2);
    if (e) log(`           ${e.replace(/\n/g, '\n           ')}`);
  }
}
