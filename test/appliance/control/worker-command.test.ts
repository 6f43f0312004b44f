import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { WORKER_MODE, workerCommand } from '../../../appliance/control/worker-command.ts';

const ARGS = ['--config', '/etc/office-appliance/appliance.toml', '--worker-id', '3', '--slot', '1'];
const WORKER_MAIN = resolve(import.meta.dir, '../../../appliance/connection-control/worker-main.ts');

describe('workerCommand', () => {
  test.each([
    ['compiled: the binary itself in worker mode', '/usr/local/bin/office-appliance', true, ['/usr/local/bin/office-appliance', WORKER_MODE, ...ARGS]],
    ['from source: bun runs worker-main.ts', '/usr/bin/bun', false, ['/usr/bin/bun', WORKER_MAIN, ...ARGS]],
  ] as const)('%s', (_name, executable, compiled, expected) => {
    expect(workerCommand(ARGS, executable, compiled)).toEqual([...expected]);
  });

  test('defaults to this process: bun under test, so the source entry', () => {
    expect(workerCommand(ARGS)).toEqual([process.execPath, WORKER_MAIN, ...ARGS]);
  });
});
