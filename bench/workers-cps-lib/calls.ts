/**
 * Calls through the appliance with a sipp caller that opens one UDP socket per call
 * (`-t un -max_socket 2000`): the kernel's SO_REUSEPORT hash picks a worker per source
 * address/port, so only a caller with many source ports spreads over the workers.
 * Reuses the sip-cps pieces: runSipp/startSipp, runStep/judge/stepTimeout (same pass rule).
 */
import { judge, logStep, runStep, stepTimeout, type Endpoint, type MeasureOptions } from '../sip-cps-lib/measure.ts';
import { errorExcerpt, runSipp, startSipp, type SippRun } from '../sip-cps-lib/sipp.ts';
import type { Proc } from '../sip-cps-lib/processes.ts';

export type Log = (line: string) => void;

/**
 * One UDP socket per call, so the reuseport hash spreads the calls over the workers. `-l` keeps
 * the open calls under `-max_socket`: past it sipp 3.6.1 shares sockets between calls and
 * writes port 0 as [local_port] in Via and Contact (seen: 92,755 INVITEs with
 * `Via: SIP/2.0/UDP 127.0.0.20:0` in one overloaded 6 s step), and the appliance's workers die
 * on those (see docs/BENCHMARKS.md). A backlog that reaches the limit slows sipp's offered
 * rate, which fails the step by the sip-cps rule anyway.
 */
export const SPREAD = ['-t', 'un', '-max_socket', '2000', '-l', '1900'];

export interface CallSetup {
  /** Temp dir for the sipp runs. */
  dir: string;
  target: string;
  caller: Endpoint;
  callee: Endpoint;
  calleeNumber: string;
  uacCall: string;
  uasCallee: string;
  register: string;
}

/** The registered callee (trusted source, no digest) and its UAS, restarted if it dies. */
export class Callee {
  private uas?: Proc;
  private down = false;

  constructor(private readonly s: CallSetup, private readonly log: Log) {}

  /** Registers the callee (3 tries) and starts the UAS; false (with the sipp excerpt logged) if REGISTER fails. */
  async start(): Promise<boolean> {
    let reg: SippRun | undefined;
    for (let i = 0; i < 3 && reg?.counters?.successful !== 1; i++) {
      reg = await runSipp(this.s.dir, 'register-callee', [
        '-sf', this.s.register, '-s', this.s.calleeNumber, this.s.target,
        '-i', this.s.callee.ip, '-p', String(this.s.callee.port), '-m', '1', '-timeout', '4s',
      ], 8000);
    }
    if (reg?.counters?.successful !== 1) {
      this.log(`  callee REGISTER failed:\n${errorExcerpt(reg!.dir)}`);
      return false;
    }
    this.launch();
    await Bun.sleep(300);
    return true;
  }

  private launch(): void {
    const p = startSipp(this.s.dir, 'uas-callee', ['-sf', this.s.uasCallee, '-i', this.s.callee.ip, '-p', String(this.s.callee.port)]);
    this.uas = p;
    this.down = false;
    void p.exited.then((code) => {
      if (this.uas === p) {
        this.down = true;
        this.log(`           callee sipp exited (${code}) during the run`);
      }
    });
  }

  /** Restarts the UAS if it exited in the previous step. */
  async ensure(): Promise<void> {
    if (!this.down) return;
    this.launch();
    await Bun.sleep(300);
  }

  async stop(): Promise<void> {
    const p = this.uas;
    this.uas = undefined;
    await p?.stop();
  }
}

/** sipp caller arguments: `rate` calls/s, `n` calls, one socket per call. */
export function callerArgs(s: CallSetup, rate: number, n: number, extra: string[] = []): string[] {
  return [
    '-sf', s.uacCall, '-s', s.calleeNumber, s.target,
    '-i', s.caller.ip, '-p', String(s.caller.port), ...SPREAD,
    '-r', String(rate), '-m', String(n), ...extra,
  ];
}

export interface StepResult {
  run: SippRun;
  n: number;
  pass: boolean;
}

/** One rate step with the sip-cps pass rule; logs its line and, on failure, sipp's errors. */
export async function callStep(
  s: CallSetup, callee: Callee, o: MeasureOptions, log: Log, label: string, rate: number, seconds: number,
): Promise<StepResult> {
  const n = Math.max(10, Math.round(rate * seconds));
  await callee.ensure();
  const t = stepTimeout(seconds);
  const run = await runStep(() => runSipp(s.dir, label, callerArgs(s, rate, n, ['-timeout', `${t}s`]), (t + 10) * 1000), n, log);
  const j = judge(run, n, rate, o);
  logStep(label, rate, n, j, run.dir, log);
  await Bun.sleep(j.pass ? 1000 : o.recoverSeconds * 1000);
  return { run, n, pass: j.pass };
}
