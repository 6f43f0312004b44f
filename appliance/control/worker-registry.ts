import { randomBytes } from 'node:crypto';
import type { WorkerToControl } from './ipc-protocol.ts';
import { RespawnBackoff } from './respawn-backoff.ts';
import { TcpOwners } from './tcp-owners.ts';
import { WorkerPool, type WorkerHandle } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** What the worker registry needs from the control section. */
export interface WorkerRegistryOptions {
  readonly configArg: string;
  readonly stdout?: 'inherit' | 'ignore';
  readonly stopGraceMs: number;
  /** A worker's message (the IPC router, worker-messages.ts). */
  onMessage(worker: WorkerHandle, msg: WorkerToControl): void;
  /** A worker exited (any reason): what other parts keep about it goes. */
  onGone(worker: WorkerHandle): void;
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}

/**
 * The worker registry: the pool of connection control sections, who holds which TCP
 * connection, the sibling link announced to every worker, and a crashed worker replaced with
 * back-off (a clean exit, or any exit while stopping, is not replaced).
 */
export class WorkerRegistry {
  readonly pool: WorkerPool;
  readonly tcpOwners = new TcpOwners();
  /** Set once the section stops or hands over: exits are no longer replaced. */
  stopping = false;
  private readonly backoff = new RespawnBackoff();
  // The key of the sibling link between workers: new at every start, never stored nor logged.
  private readonly spreadKey = randomBytes(16).toString('hex');

  constructor(private readonly o: WorkerRegistryOptions) {
    this.pool = new WorkerPool({
      configArg: o.configArg, stdout: o.stdout, stopGraceMs: o.stopGraceMs,
      onMessage: (w, m) => o.onMessage(w, m),
      onExit: (w, code, expected) => this.exited(w, code, expected),
    });
  }

  /** Every worker's Via port and the sibling link's key and inboxes, to every worker. */
  announceSiblings(): void {
    const { pool } = this;
    const viaPorts = pool.workers.flatMap((w) => (w.viaPort ? [w.viaPort] : []));
    const inboxes = pool.workers.flatMap((w) => (w.spreadPort && w.state === 'running' ? [{ workerId: w.id, port: w.spreadPort }] : []));
    pool.broadcast({ type: 'siblings', viaPorts, spread: { key: this.spreadKey, inboxes } });
  }

  private exited(worker: WorkerHandle, code: number | null, expected: boolean): void {
    const { pool, o } = this;
    o.onGone(worker);
    const gone = this.tcpOwners.dropWorker(worker.id);
    if (gone.length > 0) pool.broadcast({ type: 'tcp-owners', owners: gone });
    this.announceSiblings();
    if (expected || this.stopping) {
      o.log('control.worker.exit', `connection control section ${worker.id} exited`, { worker: worker.id, code });
      return;
    }
    const delay = this.backoff.next(Date.now());
    o.log('control.worker.crash', `connection control section ${worker.id} died (exit ${code}); replacing it in ${delay} ms`, { worker: worker.id, code, delay });
    setTimeout(() => {
      if (!this.stopping) pool.spawn();
    }, delay);
  }
}
