/**
 * The calls part: the callee 201 registers from its trusted address and answers (sipp UAS);
 * the caller places `calls` calls in runs of `every` at `rate` calls/s through the proxy, and
 * RSS is read after each run. A last reading comes after the transactions' timers have ended
 * (32 s, RFC 3261 §17.1.1.2 Timer B/F): what is left then is what the calls left behind.
 */
import { errorExcerpt, runSipp, startSipp } from '../sip-cps-lib/sipp.ts';
import { join } from 'node:path';
import type { MemoryAppliance } from './appliance.ts';
import { LAYOUT } from './layout.ts';
import { formatReading, mb, readRss, type Reading } from './rss-report.ts';

export interface CallsOptions {
  calls: number;
  every: number;
  rate: number;
  settleSeconds: number;
}

type Log = (line: string) => void;

export async function callsRun(app: MemoryAppliance, dir: string, sippDir: string, uacCall: string, o: CallsOptions, log: Log): Promise<Reading[]> {
  const target = `${LAYOUT.appliance.ip}:${LAYOUT.appliance.port}`;
  const reg = await runSipp(dir, 'register-callee', [
    '-sf', join(sippDir, 'register.xml'), '-s', '201', target,
    '-i', LAYOUT.callee.ip, '-p', String(LAYOUT.callee.port), '-m', '1', '-timeout', '5s',
  ], 10_000);
  if (reg.counters?.successful !== 1) throw new Error(`callee REGISTER failed: ${errorExcerpt(reg.dir)}`);
  const uas = startSipp(dir, 'uas-callee', ['-sf', join(sippDir, 'uas-callee.xml'), '-i', LAYOUT.callee.ip, '-p', String(LAYOUT.callee.port)]);
  let uasExit: number | undefined;
  void uas.exited.then((code) => (uasExit = code));
  try {
    await Bun.sleep(500);
    const base = await readRss(app, 'before', o.settleSeconds);
    log(`  ${formatReading(base)}`);
    const readings: Reading[] = [base];
    let done = 0;
    let ok = 0;
    let failed = 0;
    const t0 = Date.now();
    while (done < o.calls) {
      const n = Math.min(o.every, o.calls - done);
      const seconds = Math.ceil(n / o.rate);
      // One UDP socket for the caller: all calls reach one worker (SO_REUSEPORT hashes by source).
      const r = await runSipp(dir, `calls-${done + n}`, [
        '-sf', uacCall, '-s', '201', target, '-i', LAYOUT.caller.ip, '-p', String(LAYOUT.caller.port),
        '-r', String(o.rate), '-m', String(n), '-timeout', `${seconds * 2 + 20}s`,
      ], (seconds * 2 + 30) * 1000);
      if (uasExit !== undefined) throw new Error(`the callee sipp exited (${uasExit})`);
      const c = r.counters;
      done += n;
      ok += c?.successful ?? 0;
      failed += n - (c?.successful ?? 0);
      const reading = await readRss(app, `${done} calls`, 0, 1);
      log(`  ${formatReading(reading)} (ok ${ok}, failed ${failed}, retrans ${c?.retransmissions ?? '?'} in this run, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      if (!c || c.successful === 0) throw new Error(`calls failed: ${errorExcerpt(r.dir)}`);
      if (app.exited !== undefined) throw new Error(`appliance exited (${app.exited})`);
      readings.push(reading);
    }
    const after = await readRss(app, `${done} calls + 35 s`, 35);
    log(`  ${formatReading(after)}`);
    const first = readings[1] ?? base;
    log(`  growth from the first ${o.every} calls to the end: ${mb(after.totalBytes - first.totalBytes)} MB total` +
      ` (${after.procs.map((p) => `${p.role} ${mb(p.bytes - (first.procs.find((q) => q.role === p.role)?.bytes ?? 0))}`).join(', ')})`);
    readings.push(after);
    return readings;
  } finally {
    await uas.stop();
  }
}
