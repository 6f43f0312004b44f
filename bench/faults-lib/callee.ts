/**
 * The callee phone of the fault bench: extension 201 registered from a trusted address, then a
 * sipp UAS (`bench/sipp/uas-callee-via.xml`) that answers every INVITE and logs the Via port
 * of the worker that forwarded it. It outlives appliance restarts (its binding is in the store).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { start, type Proc } from '../sip-cps-lib/processes.ts';
import { errorExcerpt, runSipp, SIPP } from '../sip-cps-lib/sipp.ts';
import { readLogLines } from './sipp-traces.ts';

/** Where the callee runs and registers. */
export interface CalleeSetup {
  readonly tmp: string;
  readonly sippDir: string;
  readonly target: string;
  readonly ip: string;
  readonly port: number;
  readonly number: string;
}

/** Callee 201: REGISTER once, then the Via-logging UAS until `stop()`. */
export class ViaLoggingCallee {
  private proc?: Proc;
  private readonly dir: string;

  constructor(private readonly s: CalleeSetup) {
    this.dir = join(s.tmp, 'callee-uas');
  }

  /** Registers (3 tries) and starts the UAS; throws with sipp's errors when REGISTER fails. */
  async start(): Promise<void> {
    let ok = false;
    let last = '';
    for (let i = 0; i < 3 && !ok; i++) {
      const r = await runSipp(this.s.tmp, 'register-callee', [
        '-sf', join(this.s.sippDir, 'register.xml'), '-s', this.s.number, this.s.target,
        '-i', this.s.ip, '-p', String(this.s.port), '-m', '1', '-timeout', '4s',
      ], 8000);
      ok = r.counters?.successful === 1;
      if (!ok) last = errorExcerpt(r.dir);
    }
    if (!ok) throw new Error(`callee REGISTER failed:\n${last}`);
    mkdirSync(this.dir, { recursive: true });
    this.proc = start('sipp callee', SIPP, [
      '-sf', join(this.s.sippDir, 'uas-callee-via.xml'), '-i', this.s.ip, '-p', String(this.s.port),
      '-nostdin', '-buff_size', '4194304', '-watchdog_minor_maxtriggers', '100000000', '-watchdog_major_maxtriggers', '100000000',
      '-trace_err', '-trace_logs',
    ], { cwd: this.dir, logFile: join(this.dir, 'sipp.out') });
    await Bun.sleep(300);
  }

  /** Via ports of the INVITEs received so far, one per INVITE (retransmissions included). */
  viaPorts(): number[] {
    return readLogLines(this.dir).filter((l) => l.startsWith('via ')).map((l) => Number(l.split(' ')[1]));
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop();
  }
}
