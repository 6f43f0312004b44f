import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlSection, type ControlSection } from '../../../../appliance/control/control-section.ts';
import { loadConfig } from '../../../../system/config/index.ts';
import { freePort } from '../../../support/sipp.ts';
import { connectFrom, openMany, options, type RawClient } from './support/tcp-client.ts';

/**
 * A TCP connection flood against a real worker process (the control section spawns it): 4,000
 * idle connections from one address, then 1,280 from 20 more. Before the bounds, 20,000 idle
 * connections ran the worker out of descriptors and its report threw, ending the worker and
 * every phone on it. Now: the caps hold, the same worker (same pid) keeps answering over UDP
 * and TCP, reports its state, and the refusals make one log line, not thousands.
 */
const HOST = '127.0.40.60';
const PROBE = '127.0.40.61';
const TOTAL = 300;
let dir: string;
let control: ControlSection;
let sipPort: number;
const clients: RawClient[] = [];

async function answers(tag: string): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, PROBE, () => r()));
  const got = new Promise<string>((r, rej) => {
    sock.on('message', (m) => r(m.toString('latin1')));
    setTimeout(() => rej(new Error('no UDP answer')), 3000);
  });
  sock.send(options(HOST, `${PROBE}:${sock.address().port}`, 'UDP', `w-udp-${tag}`), sipPort, HOST);
  expect(await got).toMatch(/^SIP\/2\.0 \d{3} /);
  sock.close();
  const c = await connectFrom(PROBE, HOST, sipPort);
  c.socket.write(options(HOST, `${PROBE}:${c.socket.localPort}`, 'TCP', `w-tcp-${tag}`));
  expect(await c.waitFor((t) => t.includes(`Call-ID: w-tcp-${tag}`), 3000)).toMatch(/^SIP\/2\.0 \d{3} /);
  c.socket.destroy();
}

describe('TCP connection flood against a worker process', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcp-flood-'));
    sipPort = await freePort(HOST);
    const configPath = join(dir, 'appliance.toml');
    writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp", "tcp"]
trusted = ["${PROBE}/32"]
tcp_max_connections = ${TOTAL}
[dns]
enabled = false
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 1
max_workers = 1
sample_schedule = "*/1 * * * * *"
`);
    control = await startControlSection(loadConfig(configPath), { configArg: configPath, workerOutput: 'ignore' });
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the caps hold, the same worker answers and reports, one log line', async () => {
    const pid = control.pool.workers[0].proc.pid;
    const t0 = performance.now();
    clients.push(...await openMany('127.0.40.62', HOST, sipPort, 4000));
    const settle = async (n: number) => {
      const deadline = performance.now() + 5000;
      while (clients.filter((c) => !c.closed()).length > n && performance.now() < deadline) await Bun.sleep(20);
      return clients.filter((c) => !c.closed()).length;
    };
    expect(await settle(64)).toBe(64);
    for (let i = 63; i < 83; i++) clients.push(...await openMany(`127.0.40.${i}`, HOST, sipPort, 64));
    expect(await settle(TOTAL)).toBe(TOTAL);
    console.log(`worker flood: 5280 connections in ${Math.round(performance.now() - t0)} ms, ${TOTAL} held`);
    for (const c of clients.splice(0)) c.socket.destroy();
    await Bun.sleep(300);
    await answers('after-flood');
    const state = await control.sampleNow();
    expect(state.workers).toHaveLength(1);
    expect(state.workers[0].rssBytes).toBeGreaterThan(0);
    expect(control.pool.workers[0].proc.pid).toBe(pid);
    expect(control.store.events.recent(10, 'control.worker.crash')).toEqual([]);
    // Give the sweep (1 s) time to write its summary; refusals by the thousand make one line.
    await Bun.sleep(1500);
    const lines = control.store.events.recent(10, 'sip.transport').map((e) => e.message);
    console.log(`worker flood log: ${JSON.stringify(lines)}`);
    // One line for the whole flood (at most one a minute, tcp-stats.ts). Its counts are those of
    // the first sweep after the first refusal: on a busy box the flood outlasts that sweep, so
    // the total cap's refusals may come after it (that the total cap holds is settle(TOTAL) above).
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SIP over TCP defences since start: refused \(per-source cap\): \d+(, refused \(total cap\): \d+)?/);
  }, 30_000);
});
