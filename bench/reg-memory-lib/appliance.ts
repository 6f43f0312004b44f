/**
 * The appliance under bench/reg-memory, as an operator runs it: `bun appliance/main.ts --config
 * <tmp toml>` with `[control] min_workers = max_workers = N`. Its extensions come from a
 * generated backup document restored into the store before the first start (the admin's bulk
 * path: `restoreStore`, the function behind the web API's restore; one transaction).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restoreStore } from '../../appliance/web/store-backup.ts';
import { BACKUP_FORMAT, BACKUP_VERSION } from '../../appliance/admin/backup-document.ts';
import { loadConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { childPids, rssBytes } from '../faults-lib/appliance-proc.ts';
import { start, type Proc } from '../sip-cps-lib/processes.ts';
import { waitForOptions } from '../sip-cps-lib/readiness.ts';
import { tail } from '../sip-cps-lib/sut.ts';
import { EventLog } from '../workers-cps-lib/event-log.ts';
import { benchApplianceToml } from '../sip-cps-lib/appliance-toml.ts';

export interface Setup {
  readonly repo: string;
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  /** Sources that skip digest (the REGISTER client, caller and callee). */
  readonly trusted: readonly string[];
  readonly probe: { ip: string; port: number };
  readonly sippDir: string;
  /** `[security] max_transactions` (undefined: the appliance's default, 20,000). */
  readonly maxTransactions?: number;
}

/** One process's resident set. */
export interface ProcRss {
  readonly role: string;
  readonly pid: number;
  readonly bytes: number;
}

export class MemoryAppliance {
  private proc?: Proc;
  private exitCode?: number;
  readonly configPath: string;
  readonly dataDir: string;
  readonly events: EventLog;

  constructor(private readonly s: Setup) {
    this.configPath = join(s.dir, 'appliance.toml');
    this.dataDir = join(s.dir, 'data');
    this.events = new EventLog(this.dataDir);
  }

  /** Writes the config and restores `numbers` as extensions (no passwords: the sources are trusted); returns the ms the restore took. */
  async prepare(numbers: readonly string[]): Promise<number> {
    writeFileSync(this.configPath, benchApplianceToml({
      dataDir: this.dataDir, host: this.s.host, port: this.s.port, trusted: this.s.trusted, webPort: 0,
      extra: [
        '[control]', `min_workers = ${this.s.workers}`, `max_workers = ${this.s.workers}`,
        ...(this.s.maxTransactions ? ['[security]', `max_transactions = ${this.s.maxTransactions}`] : []),
      ],
    }));
    const config = loadConfig(this.configPath);
    const doc = {
      format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), appliance: 'bench', domain: 'office.lan', secrets: false,
      extensions: numbers.map((number) => ({ number, displayName: `Bench ${number}`, e164: null })),
      dnsRecords: [], ringGroups: [], callFeatures: [],
    };
    const t0 = performance.now();
    const store = openStore(config.dataDir);
    try {
      const r = await restoreStore(store, config, new TextEncoder().encode(JSON.stringify(doc)));
      if (r.extensions !== numbers.length) throw new Error(`restore made ${r.extensions} of ${numbers.length} extensions`);
    } finally {
      store.close();
    }
    return performance.now() - t0;
  }

  /** Starts the main process; resolves when the workers are ready and it answers OPTIONS. */
  async start(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    const log = join(this.s.dir, 'appliance.log');
    const p = start('appliance', join(this.s.repo, 'node_modules/.bin/bun'), [join(this.s.repo, 'appliance/main.ts'), '--config', this.configPath], { cwd: this.s.repo, logFile: log });
    this.proc = p;
    void p.exited.then((c) => {
      if (this.proc === p) this.exitCode = c;
    });
    const ready = await this.events.waitFor((es) => es.filter((e) => e.kind === 'control.worker.ready').length >= this.s.workers, timeoutMs, 0, 200);
    const answers = ready.ok && await waitForOptions(this.s, this.s.probe, this.s.dir, this.s.sippDir, Math.max(1000, timeoutMs - (Date.now() - t0)), () => this.exitCode === undefined);
    if (!answers) {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      throw new Error(`appliance not ready after ${Date.now() - t0} ms (exit ${this.exitCode ?? 'none'}); log tail:\n${tail(text)}`);
    }
  }

  /** Exit code if the main process has exited. */
  get exited(): number | undefined {
    return this.exitCode;
  }

  /** RSS of the control section and of each worker (its children), now. */
  rss(): ProcRss[] {
    const main = this.proc?.pid;
    if (main === undefined) return [];
    const out: ProcRss[] = [{ role: 'control', pid: main, bytes: rssBytes(main) ?? 0 }];
    childPids(main).forEach((pid, i) => out.push({ role: `worker${i + 1}`, pid, bytes: rssBytes(pid) ?? 0 }));
    return out;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop(12_000);
    this.events.close();
  }
}
