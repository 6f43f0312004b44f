/**
 * Scenario b: SIGTERM to the appliance and a start on the same config in the middle of 20
 * calls/s of one-second calls (as test/appliance/control/graceful-restart.test.ts): the
 * draining workers refuse new dialogs with 503 and keep relaying for the calls in progress;
 * the new workers take the same Via ports. Every call must complete or be refused at once.
 */
import { runSipp } from '../sip-cps-lib/sipp.ts';
import type { ApplianceProc } from './appliance-proc.ts';
import { judgeRestart, type Verdict } from './bounds.ts';
import { countOf, readMessageCounts } from './sipp-traces.ts';

export interface RestartSetup {
  readonly tmp: string;
  /** uac-call-hold.xml (test/fixtures/sipp): INVITE, 200, ACK, hold, BYE, 200; or 503 → ACK. */
  readonly scenario: string;
  readonly target: string;
  readonly caller: { ip: string; port: number };
  readonly callee: string;
  readonly rate: number;
  readonly calls: number;
  readonly holdMs: number;
  /** When the SIGTERM goes, after the load starts. */
  readonly termAfterMs: number;
}

export interface RestartResult {
  readonly calls: number;
  readonly answered: number;
  readonly refused: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly stopMs: number;
  /** SIGTERM → the restarted appliance answers OPTIONS with 2 workers ready. */
  readonly backMs: number;
  readonly verdict: Verdict;
  readonly dir: string;
}

/** Runs the calls, stops and restarts the appliance in their middle, and counts how they ended. */
export async function runRestart(s: RestartSetup, app: ApplianceProc): Promise<RestartResult> {
  const timeout = Math.ceil(s.calls / s.rate + 30);
  const caller = runSipp(s.tmp, 'restart-calls', [
    '-sf', s.scenario, '-s', s.callee, s.target, '-i', s.caller.ip, '-p', String(s.caller.port),
    '-d', String(s.holdMs), '-r', String(s.rate), '-m', String(s.calls), '-trace_counts', '-timeout', `${timeout}s`,
  ], (timeout + 10) * 1000);
  await Bun.sleep(s.termAfterMs);
  const t0 = Date.now();
  const stopMs = await app.terminate(30_000);
  await app.start();
  const backMs = Date.now() - t0;
  const run = await caller;
  const counts = readMessageCounts(run.dir);
  // The first 200 the scenario receives answers the INVITE (the second one the BYE).
  const okColumns = [...counts.keys()].filter((k) => /^\d+_200_Recv$/.test(k)).sort((a, b) => parseInt(a) - parseInt(b));
  const answered = okColumns.length ? counts.get(okColumns[0])! : 0;
  const c = run.counters;
  const failed = c ? Math.max(c.failed, s.calls - c.successful) : s.calls;
  return {
    calls: s.calls, answered, refused: countOf(counts, /^\d+_503_Recv$/), failed,
    retransmissions: c?.retransmissions ?? 0, stopMs, backMs, verdict: judgeRestart(failed), dir: run.dir,
  };
}
