#!/usr/bin/env bun
/**
 * Entry point of the built executable (`npm run build`, docs/IMAGE.md): one file that is both
 * the appliance (main.ts: control section and admin commands) and, when the control section
 * starts it in worker mode, a connection control section (control/worker-command.ts).
 */
import { WORKER_MODE } from './control/worker-command.ts';

if (process.argv[2] !== WORKER_MODE) {
  await import('./main.ts');
} else if (!process.send) {
  // Worker mode needs the IPC channel the control section opens (Bun.spawn `ipc`).
  console.error(`error: "${WORKER_MODE}" is started by the appliance itself, not from a shell`);
  process.exit(64);
} else {
  await import('./connection-control/worker-main.ts');
}
