import { readFileSync } from 'node:fs';
import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import type { HandOffStatus } from '../peers/hand-off.ts';
import type { CallsView } from './calls-view.ts';
import { reloadConfig, type ReloadResult } from './config-reload.ts';
import { startSuccessor, type CarriedHandOff, type Predecessor, type Successor } from './succession.ts';
import { switchGeneration } from './worker-generations.ts';
import type { WorkerRegistry } from './worker-registry.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** How long an upgraded control section waits for its draining workers (their own limit is 40 s). */
const DRAIN_WAIT_MS = 45_000;
/** The upgrade's answer leaves on the command channel before its listener closes. */
const ANSWER_FIRST_MS = 100;
/** The last dialog events and bindings forwarded to the successor leave before the exit. */
const LAST_FORWARDS_MS = 200;

/** What an upgrade did. */
export interface UpgradeResult {
  readonly ok: boolean;
  readonly message: string;
  /** The new control section's process, which takes over once its workers run. */
  readonly successorPid?: number;
}

/** The config file's text and its TOML as the control section runs it. */
export interface RunningFile {
  readonly text: string;
  readonly raw: Record<string, unknown>;
}

/** What the generations part needs from the control section. */
export interface ControlGenerationsDeps {
  /** `--config` argument: a file path or "embedded". */
  readonly configArg: string;
  /** The config text the section started on, when not read from `configArg` (an upgrade's successor). */
  readonly configText?: string;
  readonly workers: WorkerRegistry;
  readonly calls: CallsView;
  readonly store: Store;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** The config in force (replaced by a live reload). */
  config(): ApplianceConfig;
  /** Applies a reload's live keys (live-config.ts). */
  applyLive(next: ApplianceConfig): void;
  /** Stops the jobs, the peers and the web listener before the web port passes to the successor. */
  release(): Promise<void>;
  /** The hand-off in force, carried to the successor. */
  handOffStatus(): HandOffStatus;
  /** After the hand-over, once the workers drained (main.ts: exit). */
  onHandedOver?: () => void;
}

/**
 * Generations of workers and of the control section itself (issue 17, docs/IMAGE.md "Reload and
 * upgrade"): a reload applies live keys at once and start-time keys through a new generation
 * of workers (worker-generations.ts); an upgrade starts a successor control section from the
 * code on disk (succession.ts) and hands it the web port once its workers run. One at a time,
 * since each may start a generation of workers; none after the hand-over.
 */
export class ControlGenerations {
  /** The accepted config text: what the workers parse (a later edit of the file reaches them only by a reload). */
  private running: RunningFile | undefined;
  private switching = false;
  private handedOverTo: Successor | undefined;
  /** An upgrade's successor, from its start (its bindings are relayed to it from then on). */
  successor: Successor | undefined;

  constructor(private readonly d: ControlGenerationsDeps) {
    this.running = runningFile(d.configArg, d.configText);
    if (this.running) d.workers.pool.configText = this.running.text;
  }

  /** Everything passed to an upgrade's successor: this section serves nothing any more. */
  get handedOver(): boolean {
    return this.handedOverTo !== undefined;
  }

  /** Re-reads and validates the config file and applies what changed (SIGHUP, CLI `reload`, web UI). */
  async reload(): Promise<ReloadResult> {
    const { pool } = this.d.workers;
    const result = await this.oneAtATime('reload', () => reloadConfig({
      path: this.running ? this.d.configArg : undefined,
      running: () => this.running,
      applyLive: (next) => this.d.applyLive(next),
      newWorkers: async (next, text) => {
        pool.configText = text;
        const before = this.d.config();
        const keepShared = before.sip.port !== next.sip.port
          || before.sip.listenAddresses.map((a) => a.address).join() !== next.sip.listenAddresses.map((a) => a.address).join();
        try {
          const count = Math.min(next.control.maxWorkers, Math.max(next.control.minWorkers, this.generationSize()));
          const s = await switchGeneration(pool, { count, keepShared, callsOf: (ids) => this.callsOf(ids), log: this.d.log });
          return { started: s.started.map((w) => w.id), draining: s.draining.map((w) => w.id) };
        } catch (err) {
          pool.configText = this.running?.text;
          throw err;
        }
      },
      accept: (text, raw) => {
        this.running = { text, raw };
      },
    }));
    const r: ReloadResult = 'applied' in result ? result : { ...result, applied: 'refused', changes: [] };
    this.d.log(r.ok ? 'control.reload' : 'control.reload.refused', `reload: ${r.message}`, {
      applied: r.applied, changes: r.changes.map((c) => `${c.key}:${c.how}`), ...(r.key ? { key: r.key } : {}),
    });
    return r;
  }

  /**
   * Upgrade (issue 17, succession.ts): a new control section from the code on disk starts its
   * workers beside ours; once they run, ours drain, the web port passes to it, and this one
   * exits when its workers are gone. Refused (and the successor stopped) if it does not start.
   */
  async upgrade(): Promise<UpgradeResult> {
    const { pool } = this.d.workers;
    const result = await this.oneAtATime('upgrade', async (): Promise<UpgradeResult> => {
      const s = startSuccessor({
        configArg: this.d.configArg, configText: this.running?.text, reservedSlots: pool.workers.map((w) => w.slot),
        onBindings: (changes) => pool.broadcast({ type: 'bindings', changes }),
      });
      this.successor = s;
      try {
        await s.ready;
      } catch (err) {
        s.kill();
        this.successor = undefined;
        return { ok: false, message: `upgrade refused, this control section keeps serving: ${(err as Error).message}` };
      }
      this.handedOverTo = s;
      setTimeout(() => void this.handOver(s), ANSWER_FIRST_MS);
      return { ok: true, successorPid: s.pid, message: `control section ${s.pid} runs its workers from the code on disk now and takes over; this one (pid ${process.pid}) drains its workers and exits` };
    });
    this.d.log(result.ok ? 'control.upgrade' : 'control.upgrade.refused', `upgrade: ${result.message}`, {});
    return result;
  }

  /** An upgrade's successor: its workers keep off the predecessor's slots (their Via ports) until it is gone. */
  static adoptPredecessor(p: Predecessor, workers: WorkerRegistry, calls: CallsView): void {
    const { pool } = workers;
    pool.reservedSlots = new Set(p.reservedSlots);
    void p.gone.then(() => (pool.reservedSlots = new Set()));
    p.onBindings = (changes) => pool.broadcast({ type: 'bindings', changes });
    // Calls the predecessor's workers start or end while both run: worker 0, not one of ours.
    p.onDialogs = (events) => calls.apply(0, events);
  }

  /**
   * An upgrade's successor once its workers run: the predecessor drains its own and frees the
   * web port; its calls in progress are ours (our workers see their BYEs, so we end them and
   * their records). The hand-off it had in force, to ask for again; null without one.
   */
  static async inherit(p: Predecessor | undefined, calls: CallsView): Promise<CarriedHandOff | null> {
    const inherited = await p?.workersReady();
    const carried = inherited?.handOff ?? null;
    if (inherited) calls.adopt(inherited.calls);
    return carried;
  }

  private async handOver(s: Successor): Promise<void> {
    const { workers, store, log, calls } = this.d;
    const mine = workers.pool.workers;
    workers.stopping = true;
    for (const w of mine) workers.pool.drain(w, { releaseTrunks: w.registersTrunks });
    await this.d.release();
    const h = this.d.handOffStatus();
    s.webFree(h.to !== null && h.cause !== null ? { to: h.to, cause: h.cause } : null, calls.handover());
    log('control.handed-over', `web UI, API and command channel handed to control section ${s.pid}; waiting for ${mine.length} worker(s) to drain`, { successor: s.pid });
    const limit = Bun.sleep(DRAIN_WAIT_MS).then(() => mine.forEach((w) => w.proc.kill('SIGKILL')));
    await Promise.race([Promise.all(mine.map((w) => w.proc.exited)), limit]);
    log('control.stop', `control section ${process.pid} stopped after handing over to ${s.pid}`);
    store.close();
    await Bun.sleep(LAST_FORWARDS_MS);
    this.d.onHandedOver?.();
  }

  private async oneAtATime<T extends { ok: boolean; message: string }>(what: string, run: () => Promise<T>): Promise<T | { ok: false; message: string }> {
    if (this.handedOverTo) return { ok: false, message: `${what} refused: this control section has handed over to pid ${this.handedOverTo.pid}` };
    if (this.switching) return { ok: false, message: `${what} refused: a reload or upgrade is in progress` };
    this.switching = true;
    try {
      return await run();
    } finally {
      this.switching = false;
    }
  }

  /** Workers of a new generation: as many as serve now, within the config's bounds. */
  private generationSize(): number {
    const c = this.d.config().control;
    return Math.min(c.maxWorkers, Math.max(c.minWorkers, this.d.workers.pool.workers.filter((w) => w.state !== 'draining').length));
  }

  private callsOf(ids: ReadonlySet<number>): number {
    return this.d.calls.list().filter((c) => ids.has(c.worker)).length;
  }
}

/** The config file's text and its TOML as the control section starts on it (undefined: embedded defaults or unreadable). */
function runningFile(configArg: string, given?: string): RunningFile | undefined {
  if (configArg === 'embedded') return undefined;
  try {
    const text = given ?? readFileSync(configArg, 'utf8');
    return { text, raw: Bun.TOML.parse(text) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
