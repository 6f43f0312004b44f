import type { Subprocess } from 'bun';
import { CONFIG_TEXT_ENV, isMessage, type ControlToWorker, type WorkerToControl } from './ipc-protocol.ts';
import { workerCommand } from './worker-command.ts';

/** One connection control section as the control section sees it. */
export interface WorkerHandle {
  readonly id: number;
  /**
   * Its slot, 0 upwards: the lowest one no live worker holds. A worker that replaces a dead
   * one takes its slot, and with it its Via port (`[sip] worker_port_base` + slot).
   */
  readonly slot: number;
  readonly proc: Subprocess;
  state: 'starting' | 'running' | 'draining';
  /**
   * It registers the `[[trunks]]` (exactly one serving worker does: the first spawned while no
   * other does, or the first of a new generation, which takes them over from the old one).
   */
  registersTrunks: boolean;
  /** Which generation of workers it belongs to: a reload or an upgrade starts a new one. */
  readonly generation: number;
  readonly startedAt: number;
  sipPort?: number;
  viaPort?: number;
  /** Its sibling link inbox (hot-flow spreading), once ready. */
  spreadPort?: number;
}

export interface WorkerPoolOptions {
  /** `--config` argument for the workers (a file path, or "embedded"). */
  readonly configArg: string;
  readonly onMessage: (worker: WorkerHandle, msg: WorkerToControl) => void;
  /** Called when a worker exits; `expected` is false for a crash. */
  readonly onExit: (worker: WorkerHandle, code: number | null, expected: boolean) => void;
  /** Where worker output goes (console in production). */
  readonly stdout?: 'inherit' | 'ignore';
  /** How long `stop()` lets the workers drain after SIGTERM before it kills them (ms). */
  readonly stopGraceMs?: number;
}

/**
 * Spawns and retires connection control sections (Bun.spawn with typed IPC). Respawning after
 * a crash is the control section's decision (with back-off); the pool only reports exits.
 */
export class WorkerPool {
  private readonly handles = new Map<number, WorkerHandle>();
  private nextId = 1;
  private stopping = false;
  private currentGeneration = 1;

  /** How long `stop()` lets the workers drain (ms); a reload may change it. */
  stopGraceMs: number;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.stopGraceMs = opts.stopGraceMs ?? 3000;
  }

  /** Live workers (starting, running or draining). */
  get workers(): WorkerHandle[] {
    return [...this.handles.values()];
  }

  /** The generation new workers belong to (`nextGeneration()` starts another). */
  get generation(): number {
    return this.currentGeneration;
  }

  /** Starts a new generation: workers spawned from now on get the config accepted last and the code on disk now. */
  nextGeneration(): number {
    return ++this.currentGeneration;
  }

  /**
   * The config text the workers parse instead of reading the file (the one the control section
   * validated last: an edit of the file that was not reloaded, or that a reload refused, never
   * reaches a worker, not even one respawned after a crash); undefined: they read `configArg`.
   */
  configText: string | undefined;

  /** Slots not to use: an upgrade's predecessor's workers hold them (their Via ports). */
  reservedSlots: ReadonlySet<number> = new Set();

  /**
   * Spawns a worker in the lowest free slot. `takeTrunks`: it registers the trunks even though
   * a serving worker does (the first of a new generation: the old one is about to be drained).
   */
  spawn(opts: { takeTrunks?: boolean } = {}): WorkerHandle {
    const id = this.nextId++;
    const live = [...this.handles.values()];
    const taken = new Set([...live.map((h) => h.slot), ...this.reservedSlots]);
    let slot = 0;
    while (taken.has(slot)) slot++;
    const registersTrunks = opts.takeTrunks === true || !live.some((h) => h.registersTrunks && h.state !== 'draining');
    const args = workerCommand(['--config', this.opts.configArg, '--worker-id', String(id), '--slot', String(slot), ...(registersTrunks ? ['--trunks', 'register'] : [])]);
    const handle: WorkerHandle = {
      id,
      slot,
      registersTrunks,
      generation: this.currentGeneration,
      state: 'starting',
      startedAt: Date.now(),
      proc: Bun.spawn(args, {
        ...(this.configText !== undefined ? { env: { ...process.env, [CONFIG_TEXT_ENV]: this.configText } } : {}),
        stdout: this.opts.stdout ?? 'inherit',
        stderr: this.opts.stdout ?? 'inherit',
        serialization: 'json',
        ipc: (message) => {
          if (!isMessage<WorkerToControl>(message)) return;
          if (message.type === 'ready') {
            handle.state = handle.state === 'draining' ? 'draining' : 'running';
            handle.sipPort = message.sipPort;
            handle.viaPort = message.viaPort;
            handle.spreadPort = message.spreadPort;
          }
          this.opts.onMessage(handle, message);
        },
      }),
    };
    this.handles.set(id, handle);
    void handle.proc.exited.then((code) => {
      this.handles.delete(id);
      this.opts.onExit(handle, code, this.stopping || handle.state === 'draining');
    });
    return handle;
  }

  send(worker: WorkerHandle, msg: ControlToWorker): void {
    try {
      worker.proc.send(msg);
    } catch {
      // The worker is exiting; its exit is reported separately.
    }
  }

  /** Sends to every worker except `except` (e.g. the one a change came from). */
  broadcast(msg: ControlToWorker, except?: WorkerHandle): void {
    for (const w of this.handles.values()) if (w !== except) this.send(w, msg);
  }

  /** Drains a worker (see the `drain` message); a trunk registrar hands the trunks to the worker that takes them. */
  drain(worker: WorkerHandle, opts: { keepShared?: boolean; releaseTrunks?: boolean } = {}): void {
    worker.state = 'draining';
    if (opts.releaseTrunks) worker.registersTrunks = false;
    this.send(worker, { type: 'drain', ...opts });
  }

  /** Resolves when `count` workers are running, or rejects after `timeoutMs`. */
  async waitRunning(count: number, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.workers.filter((w) => w.state === 'running').length < count) {
      if (Date.now() > until) throw new Error(`only ${this.workers.filter((w) => w.state === 'running').length} of ${count} connection control sections started`);
      await Bun.sleep(50);
    }
  }

  /**
   * SIGTERM to every worker: each stops taking new dialogs, finishes what is open and exits
   * (worker-main.ts); one that is still there after the grace period (+2 s) is killed.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = this.workers;
    for (const w of all) w.proc.kill('SIGTERM');
    const limit = this.stopGraceMs + 2000;
    await Promise.all(all.map((w) => Promise.race([w.proc.exited, Bun.sleep(limit).then(() => w.proc.kill('SIGKILL'))])));
  }
}
