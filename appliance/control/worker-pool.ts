import type { Subprocess } from 'bun';
import { resolve } from 'node:path';
import { isMessage, type ControlToWorker, type WorkerToControl } from './ipc-protocol.ts';

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

const WORKER_MAIN = resolve(import.meta.dir, '../connection-control/worker-main.ts');

/**
 * Spawns and retires connection control sections (Bun.spawn with typed IPC). Respawning after
 * a crash is the control section's decision (with back-off); the pool only reports exits.
 */
export class WorkerPool {
  private readonly handles = new Map<number, WorkerHandle>();
  private nextId = 1;
  private stopping = false;

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Live workers (starting, running or draining). */
  get workers(): WorkerHandle[] {
    return [...this.handles.values()];
  }

  spawn(): WorkerHandle {
    const id = this.nextId++;
    const taken = new Set([...this.handles.values()].map((h) => h.slot));
    let slot = 0;
    while (taken.has(slot)) slot++;
    const handle: WorkerHandle = {
      id,
      slot,
      state: 'starting',
      startedAt: Date.now(),
      proc: Bun.spawn([process.execPath, WORKER_MAIN, '--config', this.opts.configArg, '--worker-id', String(id), '--slot', String(slot)], {
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

  drain(worker: WorkerHandle): void {
    worker.state = 'draining';
    this.send(worker, { type: 'drain' });
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
    const limit = (this.opts.stopGraceMs ?? 3000) + 2000;
    await Promise.all(all.map((w) => Promise.race([w.proc.exited, Bun.sleep(limit).then(() => w.proc.kill('SIGKILL'))])));
  }
}
