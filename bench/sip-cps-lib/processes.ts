/**
 * Every process the bench starts goes through here, in its own process group, so that one
 * cleanup (normal end, error, SIGINT, SIGTERM) can stop each of them by id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

/** A started process: its exit is a promise; `stop()` ends its whole group. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<number>;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
/** Set by `stopAll`: nothing new starts once the bench is shutting down. */
let closing = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Starts `cmd` detached (own process group), stdout+stderr appended to `logFile`. */
export function start(name: string, cmd: string, args: string[], opts: { cwd: string; logFile: string }): Proc {
  if (closing) throw new Error(`not starting ${name}: the bench is stopping`);
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    });
    child.once('error', () => {
      live.delete(child);
      resolve(127);
    });
  });
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    async stop(graceMs = 3000) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // a daemon's children may outlive the leader: sweep the group
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* group empty */
        }
      }
    },
  };
}

/** Runs to completion, killing the group after `timeoutMs`; resolves with the exit code. */
export async function run(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd: string; logFile: string; timeoutMs: number },
): Promise<{ code: number; timedOut: boolean; wallMs: number }> {
  const t0 = performance.now();
  const p = start(name, cmd, args, opts);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void p.stop(1000);
  }, opts.timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, timedOut, wallMs: performance.now() - t0 };
}

/** Synchronous last resort (process 'exit'): SIGKILL every group still alive. */
export function killAllNow(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

/** Stops every live process started here (SIGTERM, then SIGKILL after the grace time). */
export async function stopAll(graceMs = 2000): Promise<void> {
  closing = true;
  const children = [...live];
  for (const c of children) killGroup(c, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.size > 0 && Date.now() < deadline) await Bun.sleep(50);
  killAllNow();
}

/**
 * SIGINT/SIGTERM stop every bench process (then exit 130), and a plain exit kills what is
 * left: no run leaves sipp, Kamailio or an appliance behind. `tmp` is named in the message.
 * Returns whether a signal came.
 */
export function stopOnSignals(tmp: string): () => boolean {
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping all bench processes (logs kept in ${tmp})`);
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('exit', killAllNow);
  return () => interrupted;
}
