import { resolve } from 'node:path';

/**
 * The first argument that starts the executable as a connection control section instead of a
 * control section (appliance/main.ts). Only the control section passes it, with an IPC channel.
 */
export const WORKER_MODE = 'connection-control';

/** The worker's entry module when running from the source tree. */
const WORKER_MAIN = resolve(import.meta.dir, '../connection-control/worker-main.ts');

/**
 * The command line that starts one connection control section: the one place that knows how.
 * Compiled (`npm run build`, Bun.isStandaloneExecutable), the binary runs itself in worker mode:
 * a script path would be read as an unknown CLI command. From source, bun runs worker-main.ts.
 * `executable` defaults to process.execPath, which Bun reads once at start: after the binary is
 * replaced on disk (rename), the path names the new file, so new workers run the new version.
 */
export function workerCommand(args: readonly string[], executable = process.execPath, compiled = Bun.isStandaloneExecutable): string[] {
  return compiled ? [executable, WORKER_MODE, ...args] : [executable, WORKER_MAIN, ...args];
}

/** The command line that starts the appliance itself (a service unit's ExecStart), compiled or from source. */
export function applianceCommand(executable = process.execPath, compiled = Bun.isStandaloneExecutable): string[] {
  return compiled ? [executable] : [executable, resolve(import.meta.dir, '../main.ts')];
}
