import type { WorkerHandle, WorkerPool } from './worker-pool.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** How long a new generation may take to report ready before the switch is given up. */
const START_TIMEOUT_MS = 15_000;
/**
 * How long an old generation that kept its shared sockets (the SIP address or port changed)
 * stays for the calls set up through it at most. A proxy only in the signalling path cannot
 * tell a long call from a lost BYE; after this the old workers are stopped anyway.
 */
export const OLD_GENERATION_LIMIT_MS = 3_600_000;
/** How often the control section looks whether the old generation's calls have ended. */
const CALLS_POLL_MS = 500;

export interface GenerationSwitch {
  /** The new workers (running). */
  readonly started: readonly WorkerHandle[];
  /** The old workers, now draining. */
  readonly draining: readonly WorkerHandle[];
  /** Resolves when every old worker has exited. */
  readonly retired: Promise<void>;
}

export interface SwitchOptions {
  /** Workers of the new generation (the serving count, within the config's bounds). */
  readonly count: number;
  /**
   * The new workers listen on other sockets (the SIP address or port changed): the old ones keep
   * their shared sockets for the calls set up through them, until `callsOf` says none is left.
   */
  readonly keepShared: boolean;
  /** Calls in progress answered by these workers (the control section's calls view). */
  readonly callsOf: (workerIds: ReadonlySet<number>) => number;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
}

/**
 * Replaces the serving workers with a new generation, without dropping calls (issue 17):
 * the new workers are spawned first (the code on disk now, the config the pool holds now;
 * the first of them takes the trunk registrations over), and only once all of them run are the
 * old ones drained: they stop taking new dialogs, finish their transactions and keep their own
 * Via ports for the responses of what they forwarded, so in-dialog requests and responses still
 * reach their dialog. On the same shared port the old workers leave it to the new ones (SO_REUSEPORT);
 * on a new one they keep serving the old port until their calls end. If the new generation
 * does not start, it is stopped and the old one keeps serving (the error says why).
 */
export async function switchGeneration(pool: WorkerPool, opts: SwitchOptions): Promise<GenerationSwitch> {
  const old = pool.workers.filter((w) => w.state !== 'draining');
  const generation = pool.nextGeneration();
  const started: WorkerHandle[] = [];
  for (let i = 0; i < opts.count; i++) started.push(pool.spawn({ takeTrunks: i === 0 }));
  const until = Date.now() + START_TIMEOUT_MS;
  while (started.some((w) => w.state !== 'running')) {
    const gone = started.find((w) => !pool.workers.includes(w));
    if (gone || Date.now() > until) {
      for (const w of started) w.proc.kill('SIGKILL');
      throw new Error(gone ? `a connection control section of generation ${generation} exited while starting` : `generation ${generation} did not start within ${START_TIMEOUT_MS / 1000} s`);
    }
    await Bun.sleep(50);
  }
  for (const w of old) pool.drain(w, { keepShared: opts.keepShared, releaseTrunks: w.registersTrunks });
  opts.log('control.generation', `generation ${generation} running (${started.map((w) => w.id).join(', ')}); draining ${old.map((w) => w.id).join(', ') || 'none'}${opts.keepShared ? ', which keep the old SIP sockets for their calls' : ''}`,
    { generation, started: started.map((w) => w.id), draining: old.map((w) => w.id), keepShared: opts.keepShared });
  const retired = opts.keepShared ? retireWhenCallsEnd(pool, old, opts) : Promise.all(old.map((w) => w.proc.exited)).then(() => {});
  return { started, draining: old, retired };
}

/** SIGTERM to old workers that kept their shared sockets, once their calls have ended (bounded). */
async function retireWhenCallsEnd(pool: WorkerPool, old: readonly WorkerHandle[], opts: SwitchOptions): Promise<void> {
  const ids = new Set(old.map((w) => w.id));
  const until = Date.now() + OLD_GENERATION_LIMIT_MS;
  while (opts.callsOf(ids) > 0 && Date.now() < until && old.some((w) => pool.workers.includes(w))) await Bun.sleep(CALLS_POLL_MS);
  const left = opts.callsOf(ids);
  if (left > 0) opts.log('control.generation', `stopping the old workers with ${left} call(s) still up after ${OLD_GENERATION_LIMIT_MS / 60_000} min`, { calls: left });
  // stopGracefully (worker-main.ts): the last transactions finish, then it exits.
  for (const w of old) w.proc.kill('SIGTERM');
  await Promise.all(old.map((w) => w.proc.exited));
}
