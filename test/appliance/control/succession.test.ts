import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notifyMainPid } from '../../../appliance/control/succession.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * The successor tells systemd it is the main process now (sd_notify MAINPID=, through
 * systemd-notify): received here on a real unix datagram socket (python3 plays the service
 * manager's notify socket; Bun has none). Outside systemd nothing is sent.
 */
const hasTools = requireTool('systemd-notify') && requireTool('python3');

describe.skipIf(!hasTools)('notifyMainPid', () => {
  test('sends MAINPID=<this pid> to $NOTIFY_SOCKET', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-'));
    const path = join(dir, 'notify.sock');
    const manager = Bun.spawn(['python3', '-c', `import socket\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(path)})\nprint('ready', flush=True)\ns.settimeout(5)\nprint(s.recv(4096).decode(), flush=True)`], { stdout: 'pipe' });
    const reader = manager.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('ready');
    const told = await notifyMainPid({ NOTIFY_SOCKET: path });
    expect(told).toBe(`systemd told MAINPID=${process.pid}`);
    let got = '';
    while (!got.includes('MAINPID')) {
      const { done, value } = await reader.read();
      if (done) break;
      got += new TextDecoder().decode(value);
    }
    expect(got.trim()).toBe(`MAINPID=${process.pid}`);
    await manager.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('outside systemd: nothing', async () => {
    expect(await notifyMainPid({})).toBeUndefined();
  });
});
