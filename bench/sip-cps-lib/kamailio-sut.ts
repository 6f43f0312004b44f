/** Kamailio 5.6 as the reference SUT, configured by bench/kamailio/kamailio.cfg. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, type Proc } from './processes.ts';
import { waitForOptions } from './readiness.ts';
import { SutUnavailable, tail, type Sut, type SutContext } from './sut.ts';

export const KAMAILIO = process.env.KAMAILIO ?? '/usr/sbin/kamailio';

export function kamailioInstalled(): boolean {
  return existsSync(KAMAILIO);
}

export class KamailioSut implements Sut {
  readonly name = 'kamailio';
  private proc?: Proc;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly cfg: string,
    private readonly probeFrom: { ip: string; port: number },
    private readonly sippDir: string,
    private readonly children = 4,
  ) {}

  async start(ctx: SutContext): Promise<void> {
    if (!kamailioInstalled()) throw new SutUnavailable(`${KAMAILIO} not installed`);
    const [caller, callee] = ctx.trusted;
    const runDir = join(ctx.dir, 'run');
    mkdirSync(runDir, { recursive: true });
    const log = join(ctx.dir, 'kamailio.log');
    // -DD -E: stay in the foreground, log to stderr (our log file); -m: shared memory MB
    // (transactions linger for the tm wait timer, so a few seconds at 3k calls/s adds up).
    this.proc = start('kamailio', KAMAILIO, [
      '-f', this.cfg, '-DD', '-E',
      '-l', `udp:${this.host}:${this.port}`,
      '-n', String(this.children),
      '-Y', runDir,
      '-m', '1024', '-M', '16',
      '-A', `TRUSTED_CALLER="${caller}"`,
      '-A', `TRUSTED_CALLEE="${callee}"`,
      '-A', `BENCH_PASSWORD="${ctx.password}"`,
    ], { cwd: ctx.dir, logFile: log });
    let exited = false;
    void this.proc.exited.then(() => (exited = true));
    if (await waitForOptions(this, this.probeFrom, ctx.dir, this.sippDir, 10_000, () => !exited)) return;
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    await this.stop();
    throw new SutUnavailable(`kamailio did not answer OPTIONS within 10 s; log tail:\n${tail(text)}`);
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}
