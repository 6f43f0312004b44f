/**
 * Scenario c: kill -9 under 200 REGISTER/s (as test/appliance/control/durable-register.test.ts,
 * from outside): a trusted gateway registers one new contact per REGISTER, one socket per
 * call (`-t un`, so both workers take a share); a worker, or the main process, is killed with
 * SIGKILL in the middle. Each 200 sipp received (its -trace_logs line names the binding) must
 * be in the store afterwards: the respawned worker's, or the restarted appliance's.
 * Unanswered REGISTERs may be lost; sipp retransmits them, and the survivors answer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSipp } from '../sip-cps-lib/sipp.ts';
import type { ApplianceProc } from './appliance-proc.ts';
import { judgeDurable, type Verdict } from './bounds.ts';
import { readLogLines } from './sipp-traces.ts';

export interface DurableSetup {
  readonly tmp: string;
  readonly sippDir: string;
  readonly target: string;
  readonly gateway: string;
  readonly extensions: readonly string[];
  readonly rate: number;
  readonly registers: number;
  /** When the SIGKILL goes, after the load starts. */
  readonly killAfterMs: number;
}

export interface DurableResult {
  readonly victim: 'worker' | 'main';
  readonly sent: number;
  readonly acknowledged: number;
  readonly lost: number;
  /** worker: kill → replacement running; main: kill → restarted appliance ready. */
  readonly backMs?: number;
  readonly verdict: Verdict;
  readonly dir: string;
}

/** Runs the REGISTER load, kills `victim` in its middle, and compares the 200s with the store. */
export async function runDurable(s: DurableSetup, app: ApplianceProc, victim: 'worker' | 'main'): Promise<DurableResult> {
  const users = join(s.tmp, 'register-users.csv');
  writeFileSync(users, ['SEQUENTIAL', ...s.extensions, ''].join('\n'));
  const timeout = Math.ceil(s.registers / s.rate + 40);
  const caller = runSipp(s.tmp, `register-kill-${victim}`, [
    '-sf', join(s.sippDir, 'register-unique.xml'), '-inf', users, '-key', 'run', victim, s.target,
    '-i', s.gateway, '-t', 'un', '-max_socket', '2000', '-l', '1900',
    '-r', String(s.rate), '-m', String(s.registers), '-trace_logs', '-timeout', `${timeout}s`,
  ], (timeout + 10) * 1000);
  await Bun.sleep(s.killAfterMs);
  let backMs: number | undefined;
  const t0 = Date.now();
  if (victim === 'worker') {
    const before = app.workerPids();
    const pid = before[0];
    process.kill(pid, 'SIGKILL');
    // The control section replaces it (respawn back-off starts at 0.5 s).
    const until = t0 + 20_000;
    while (Date.now() < until) {
      const now = app.workerPids();
      if (now.length === 2 && !now.includes(pid)) {
        backMs = Date.now() - t0;
        break;
      }
      await Bun.sleep(20);
    }
  } else {
    await app.killMain(10_000);
    await app.start();
    backMs = Date.now() - t0;
  }
  const run = await caller;
  const acked = readLogLines(run.dir).filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));
  const stored = app.storedBindings();
  const lost = acked.filter((b) => !stored.has(b)).length;
  const judged = judgeDurable(acked.length, lost);
  const verdict = backMs !== undefined ? judged : { ok: false, why: [...judged.why, 'the killed worker was not replaced within 20 s'] };
  return { victim, sent: run.counters?.created ?? 0, acknowledged: acked.length, lost, ...(backMs !== undefined ? { backMs } : {}), verdict, dir: run.dir };
}
