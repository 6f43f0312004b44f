/** Our appliance as a SUT: `bun appliance/main.ts --config <file.toml>`. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, type Proc } from './processes.ts';
import { waitForOptions } from './readiness.ts';
import { benchApplianceToml } from './appliance-toml.ts';
import { EventLog } from '../workers-cps-lib/event-log.ts';
import { SutUnavailable, tail, type Sut, type SutContext } from './sut.ts';


export class ApplianceSut implements Sut {
  private proc?: Proc;
  private events?: EventLog;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly repo: string,
    private readonly probeFrom: { ip: string; port: number },
    private readonly sippDir: string,
    private readonly webPort = 18080,
    /** Extra TOML lines appended to the config (e.g. a `[control]` table; bench/workers-cps). */
    private readonly extraToml: readonly string[] = [],
    /** The SUT's name in the report (`appliance-2w` for a pinned worker count). */
    readonly name = 'appliance',
  ) {}

  private get bun(): string {
    return join(this.repo, 'node_modules/.bin/bun');
  }

  private get main(): string {
    return join(this.repo, 'appliance/main.ts');
  }

  async start(ctx: SutContext): Promise<void> {
    if (!existsSync(this.bun)) throw new SutUnavailable(`${this.bun} missing (npm install?)`);
    if (!existsSync(this.main)) throw new SutUnavailable(`${this.main} missing`);
    const config = join(ctx.dir, 'appliance.toml');
    writeFileSync(config, benchApplianceToml({
      dataDir: join(ctx.dir, 'data'), host: this.host, port: this.port, domain: ctx.domain, trusted: ctx.trusted, webPort: this.webPort,
      // No per-source flood ban (pike): the load generators send thousands of requests a
      // second from one address, and Kamailio's bench config loads no pike either.
      extra: ['[security]', 'rate_limit = 0', ...this.extraToml],
    }));
    await this.addExtensions(ctx, config);

    this.events = new EventLog(join(ctx.dir, 'data'));
    const log = join(ctx.dir, 'appliance.log');
    this.proc = start('appliance', this.bun, [this.main, '--config', config], { cwd: this.repo, logFile: log });
    let exited: number | undefined;
    void this.proc.exited.then((c) => (exited = c));
    // Ready = answers OPTIONS (its log lines changed with the process model; SIP is the contract).
    if (await waitForOptions(this, this.probeFrom, ctx.dir, this.sippDir, 30_000, () => exited === undefined)) return;
    const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    const why = exited !== undefined ? `exited with code ${exited}` : 'did not answer OPTIONS within 30 s';
    const text = logText();
    await this.stop();
    throw new SutUnavailable(`appliance ${why}; log tail:\n${tail(text)}`);
  }

  /** The callee and every digest user, through the admin CLI, one at a time (the store locks). */
  private async addExtensions(ctx: SutContext, config: string): Promise<void> {
    const numbers = [ctx.callee, ...ctx.regUsers];
    const log = join(ctx.dir, 'extension-add.log');
    const addOne = async (n: string) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await run(`extension add ${n}`, this.bun, [
          this.main, '--config', config, 'extension', 'add', n, '--password', ctx.password,
        ], { cwd: this.repo, logFile: log, timeoutMs: 20_000 });
        if (r.code === 0) return;
        await Bun.sleep(200);
      }
      throw new SutUnavailable(`"extension add ${n}" failed; log tail:\n${tail(readFileSync(log, 'utf8'))}`);
    };
    for (const n of numbers) await addOne(n);
  }

  /** Before a step: if the last shedding event is `control.shed`, wait up to 20 s for `control.stop-shedding`. */
  async settle(): Promise<string | undefined> {
    if (!this.events) return undefined;
    const ev = this.events;
    const last = ev.control().filter((e) => e.kind === 'control.shed' || e.kind === 'control.stop-shedding').pop();
    if (last?.kind !== 'control.shed') return undefined;
    const t = Date.now();
    const w = await ev.waitFor((es) => es.some((e) => e.kind === 'control.stop-shedding'), 20_000, last.id, 250);
    return `shedding in force: ${w.ok ? `stopped after ${((Date.now() - t) / 1000).toFixed(1)} s` : 'still on after 20 s'} (waited before the step)`;
  }

  /** Connection control sections = the control section's child processes (from /proc). */
  workers(): number | undefined {
    const pid = this.proc?.pid;
    if (pid === undefined) return undefined;
    return childPids(pid).length;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}

/** Pids whose parent is `pid` (Linux /proc; field 4 of /proc/<pid>/stat, after the `(comm)`). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
