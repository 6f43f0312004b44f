import { afterAll, beforeAll, expect, spyOn, test } from 'bun:test';
import { join } from 'node:path';
import { WorkerReporter } from '../../../appliance/connection-control/worker-reporter.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';

/**
 * The worker's report must survive the host failing to tell its memory use: out of file
 * descriptors, process.memoryUsage() throws "Failed to get memory usage" (measured with 20,000
 * idle TCP connections), and that uncaught throw used to end the worker.
 */
const HOST = '127.0.40.20';
let ap: TestAppliance;
beforeAll(async () => { ap = await startTestAppliance(HOST); });
afterAll(async () => { await ap.stop(); });

test('memoryUsage() and memoryUsage.rss() throwing: the report goes on with the last RSS', () => {
  const reporter = new WorkerReporter(1, ap.app.sip.service);
  const first = reporter.report('running').rssBytes;
  expect(first).toBeGreaterThan(0);
  const spy = spyOn(process, 'memoryUsage').mockImplementation((() => { throw new Error('SystemError: Failed to get memory usage'); }) as never);
  try {
    const r = reporter.report('running');
    expect(r.rssBytes).toBe(first);
    expect(r.workerId).toBe(1);
  } finally {
    spy.mockRestore();
  }
  expect(reporter.report('running').rssBytes).toBeGreaterThan(0);
});

test('for real: a process out of file descriptors still reports (ulimit -n 256, every descriptor taken)', async () => {
  const root = join(import.meta.dir, '../../..');
  const script = `import { openSync, closeSync } from 'node:fs';
import { WorkerReporter } from ${JSON.stringify(join(root, 'appliance/connection-control/worker-reporter.ts'))};
import { startTestAppliance } from ${JSON.stringify(join(root, 'test/support/appliance.ts'))};
const ap = await startTestAppliance('127.0.40.21');
const reporter = new WorkerReporter(2, ap.app.sip.service);
const before = reporter.report('running').rssBytes;
const fds = [];
try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { console.log('exhausted', e.code); }
let threw = 'no';
try { process.memoryUsage(); } catch { threw = 'yes'; }
const during = reporter.report('running').rssBytes;
for (const fd of fds) closeSync(fd);
console.log(JSON.stringify({ before, during, threw, after: reporter.report('running').rssBytes }));
await ap.stop();`;
  const p = Bun.spawn(['sh', '-c', `ulimit -n 256 && exec "${process.execPath}" -e "$0"`, script], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  expect(await p.exited, err).toBe(0);
  const lines = out.trim().split('\n');
  expect(lines[0]).toBe('exhausted EMFILE');
  const r = JSON.parse(lines.at(-1)!);
  // The host API does fail here, and the report carries the last RSS read instead.
  expect(r.threw).toBe('yes');
  expect(r.during).toBe(r.before);
  expect(r.after).toBeGreaterThan(0);
}, 20_000);
