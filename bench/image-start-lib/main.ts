/**
 * Builds the executable with package.json's build command (timed), then starts it `--runs`
 * times (default 5) from an empty directory holding only its config, and measures exec → first
 * OPTIONS 200 on the shared SIP port (two workers, DNS off); the same for the source run
 * (`bun appliance/main.ts`) for comparison. Each start gets a fresh data dir (first start:
 * migrations, TLS certificate generation included). Bounded: 20 s per start.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { awaitOptions200, buildExecutable, REPO } from '../../test/support/executable.ts';
import { SipUdpPeer } from '../../test/support/sip-udp-peer.ts';
import { freePort, freeTcpPort } from '../../test/support/sipp.ts';

const HOST = '127.0.210.10';
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Math.max(1, Math.min(50, Number(process.argv[runsArg + 1]) || 5)) : 5;

const dir = mkdtempSync(join(tmpdir(), 'image-bench-'));
try {
  const exe = join(dir, 'office-appliance');
  const b0 = performance.now();
  await buildExecutable(exe);
  const buildMs = performance.now() - b0;
  console.log(`build: ${buildMs.toFixed(0)} ms, size ${(statSync(exe).size / 1e6).toFixed(1)} MB (${statSync(exe).size} bytes)`);
  for (const [name, command] of [
    ['executable', [exe]],
    ['source', [resolve(REPO, 'node_modules/.bin/bun'), resolve(REPO, 'appliance/main.ts')]],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await startOnce([...command]));
    times.sort((a, b) => a - b);
    console.log(`${name}: exec → first OPTIONS 200 median ${times[times.length >> 1].toFixed(0)} ms, min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)} (${RUNS} starts)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function startOnce(command: string[]): Promise<number> {
  const run = mkdtempSync(join(dir, 'run-'));
  const port = await freePort(HOST);
  writeFileSync(join(run, 'appliance.toml'), `data_dir = "data"
[sip]
listen = "${HOST}"
port = ${port}
worker_port_base = 0
transports = ["udp"]
[dns]
enabled = false
[web]
listen = "${HOST}"
port = ${await freeTcpPort(HOST)}
[control]
min_workers = 2
max_workers = 2
`);
  const probe = await SipUdpPeer.open(HOST);
  const t0 = performance.now();
  const proc = Bun.spawn([...command, '--config', 'appliance.toml'], { cwd: run, stdout: 'ignore', stderr: 'ignore' });
  try {
    const waited = await awaitOptions200(probe, HOST, port, 20_000);
    if (waited === undefined) throw new Error(`${command[0]}: no OPTIONS 200 within 20 s`);
    return performance.now() - t0;
  } finally {
    probe.close();
    proc.kill('SIGTERM');
    await proc.exited;
  }
}
