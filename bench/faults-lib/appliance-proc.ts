/**
 * The appliance under the fault bench, as an operator runs it: `bun appliance/main.ts --config
 * <tmp toml>` (the control section) with its worker processes (connection control sections),
 * started, stopped (SIGTERM), killed (SIGKILL) and restarted on the same data directory.
 * Worker pids come from /proc (children of the main process), RSS from /proc/<pid>/status.
 */
import { Database } from 'bun:sqlite';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { loadConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { start, type Proc } from '../sip-cps-lib/processes.ts';
import { waitForOptions } from '../sip-cps-lib/readiness.ts';
import { tail } from '../sip-cps-lib/sut.ts';
import { EventLog } from '../workers-cps-lib/event-log.ts';
import { benchApplianceToml } from '../sip-cps-lib/appliance-toml.ts';

/** Where the appliance listens and what it is given. */
export interface ApplianceSetup {
  readonly repo: string;
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  /** Sources that skip digest (callers, callee, REGISTER gateway). */
  readonly trusted: readonly string[];
  /** OPTIONS readiness probe source. */
  readonly probe: { ip: string; port: number };
  readonly sippDir: string;
  /** Extensions created in the store before the first start (one password for all). */
  readonly extensions: readonly string[];
  readonly password: string;
}

/** The running appliance: its main process and the data directory it writes. */
export class ApplianceProc {
  private proc?: Proc;
  private exitCode?: number;
  readonly configPath: string;
  readonly dataDir: string;
  readonly events: EventLog;

  constructor(private readonly s: ApplianceSetup) {
    this.configPath = join(s.dir, 'appliance.toml');
    this.dataDir = join(s.dir, 'data');
    this.events = new EventLog(this.dataDir);
  }

  /** Writes the config (2 workers, max_workers = 2, DNS off, web on a free port) and the extensions. */
  prepare(): void {
    writeFileSync(this.configPath, benchApplianceToml({
      dataDir: this.dataDir, host: this.s.host, port: this.s.port, trusted: this.s.trusted, webPort: 0,
      extra: ['[control]', 'min_workers = 2', 'max_workers = 2'],
    }));
    // Straight into the store, as test/support/control-section.ts does: one CLI process per
    // extension would take minutes for a thousand.
    const config = loadConfig(this.configPath);
    const store = openStore(config.dataDir);
    try {
      const ext = new ExtensionService(store, config.sip.domain);
      for (const number of this.s.extensions) ext.add({ number, password: this.s.password });
    } finally {
      store.close();
    }
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the main process; resolves when it answers OPTIONS and 2 workers are ready (ms taken). */
  async start(timeoutMs = 30_000): Promise<number> {
    const t0 = Date.now();
    const lastId = this.lastEventId();
    const log = join(this.s.dir, 'appliance.log');
    const p = start('appliance', join(this.s.repo, 'node_modules/.bin/bun'), [join(this.s.repo, 'appliance/main.ts'), '--config', this.configPath], { cwd: this.s.repo, logFile: log });
    this.proc = p;
    this.exitCode = undefined;
    void p.exited.then((c) => {
      if (this.proc === p) this.exitCode = c;
    });
    const ready = await this.events.waitFor((es) => es.filter((e) => e.kind === 'control.worker.ready').length >= 2, timeoutMs, lastId, 100);
    const answers = ready.ok && await waitForOptions(this.s, this.s.probe, this.s.dir, this.s.sippDir, Math.max(1000, timeoutMs - (Date.now() - t0)), () => this.exitCode === undefined);
    if (!answers) {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      throw new Error(`appliance not ready after ${Date.now() - t0} ms (exit ${this.exitCode ?? 'none'}); log tail:\n${tail(text)}`);
    }
    return Date.now() - t0;
  }

  private lastEventId(): number {
    try {
      return this.events.control().at(-1)?.id ?? 0;
    } catch {
      return 0;
    }
  }

  /** Worker pids (children of the main process), lowest first. */
  workerPids(): number[] {
    const main = this.proc?.pid;
    if (main === undefined) return [];
    return childPids(main);
  }

  /** SIGTERM to the main process only (it stops its workers gracefully); resolves with the ms it took to exit, or throws past `timeoutMs`. */
  async terminate(timeoutMs: number): Promise<number> {
    const p = this.proc;
    if (!p) return 0;
    const t0 = Date.now();
    process.kill(p.pid, 'SIGTERM');
    const code = await Promise.race([p.exited, Bun.sleep(timeoutMs).then(() => undefined)]);
    if (code === undefined) {
      await p.stop(0);
      throw new Error(`appliance still running ${timeoutMs} ms after SIGTERM (killed)`);
    }
    this.proc = undefined;
    return Date.now() - t0;
  }

  /**
   * SIGKILL to the main process only, then waits (bounded) until its workers have gone too
   * (they leave when the IPC channel closes); a worker still there after `timeoutMs` is killed
   * by pid. Returns the ms until the last worker was gone.
   */
  async killMain(timeoutMs: number): Promise<{ goneMs: number; forced: number }> {
    const p = this.proc;
    if (!p) return { goneMs: 0, forced: 0 };
    const workers = this.workerPids();
    const t0 = Date.now();
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    this.proc = undefined;
    const alive = () => workers.filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
    while (alive().length > 0 && Date.now() - t0 < timeoutMs) await Bun.sleep(20);
    const left = alive();
    for (const pid of left) process.kill(pid, 'SIGKILL');
    return { goneMs: Date.now() - t0, forced: left.length };
  }

  /** Stops whatever runs (SIGTERM to the group, SIGKILL after 12 s). */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop(12_000);
    this.events.close();
  }

  /** Every binding in the store, as `<aor> <contact>` (read-only; safe while the appliance runs: WAL). */
  storedBindings(): Set<string> {
    const db = new Database(join(this.dataDir, 'appliance.sqlite'), { readonly: true });
    try {
      return new Set(db.query<{ aor: string; contact: string }, []>('SELECT aor, contact FROM registrations').all().map((r) => `${r.aor} ${r.contact}`));
    } finally {
      db.close();
    }
  }
}

/** Pids whose parent is `ppid`, from /proc/<pid>/stat, lowest first. */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out.sort((a, b) => a - b);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** VmRSS of a process in bytes; undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
