import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { SipUdpPeer, sipMessage } from '../../support/sip-udp-peer.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS, sippCount, startSipp, startSippUas, type SippResult } from '../../support/sipp.ts';

/**
 * Upgrade without dropping calls (issue 17), the real entry point as a process: 20 calls/s of
 * 2 s each for 15 s through two worker processes; after 5 s the CLI's `upgrade` starts a new
 * control section (the code on disk now) whose workers join the shared port beside the old
 * ones; the old ones drain, the web port and command channel pass to the new control section,
 * and the old process exits. Every call must complete (none refused, none failed); an OPTIONS
 * probe every 20 ms measures the longest time without an answer. Then SIGHUP to the new
 * process reloads a live key. 127.0.231.1 appliance, .10 callee, .20 trusted gateway (the
 * caller), .30 the probe.
 */
const HOST = '127.0.231.1';
const PHONE = '127.0.231.10';
const GATEWAY = '127.0.231.20';
const PROBE = '127.0.231.30';
const PW = 'Upgrade-Pass-902';
const MAIN = resolve(import.meta.dir, '../../../appliance/main.ts');
const hasSipp = requireTool('sipp');
let dir: string;
let configPath: string;
let sipPort: number;
let appliance: Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
let successorPid: number | undefined;
let callee: { kill: () => void } | undefined;
const output: string[] = [];

/** sipp's final statistics row ("Failed call | periodic | cumulative"): the cumulative count. */
const sippStat = (r: SippResult, row: string) => Number(new RegExp(`${row}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(r.out)?.[1] ?? NaN);

/** Collects a process's output lines (the successor writes to the same pipes). */
async function collect(stream: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    output.push(...decoder.decode(value).split('\n'));
  }
}

async function waitForLine(match: RegExp, ms: number): Promise<string | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const line = output.find((l) => match.test(l));
    if (line) return line;
    await Bun.sleep(50);
  }
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** OPTIONS every `everyMs` to the shared port; the longest stretch between answered probes. */
async function probe(port: number, everyMs: number, stop: Promise<unknown>): Promise<{ sent: number; answered: number; longestGapMs: number }> {
  const peer = await SipUdpPeer.open(PROBE);
  const sentAt = new Map<string, number>();
  const answeredAt: number[] = [];
  let n = 0;
  let done = false;
  void stop.then(() => (done = true));
  const seen = new Set<string>();
  while (!done) {
    const branch = `z9hG4bKprobe${++n}`;
    sentAt.set(branch, Date.now());
    peer.send(sipMessage(`OPTIONS sip:${HOST}:${port} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${peer.hostPort};branch=${branch}`, 'Max-Forwards: 70', `From: <sip:probe@${PROBE}>;tag=p${n}`,
      `To: <sip:${HOST}>`, `Call-ID: probe-${n}@${PROBE}`, 'CSeq: 1 OPTIONS',
    ]), port, HOST);
    await Bun.sleep(everyMs);
    for (const m of peer.inbox.splice(0)) {
      const b = /branch=(z9hG4bKprobe\d+)/.exec(m)?.[1];
      if (b && !seen.has(b) && /^SIP\/2\.0 200/.test(m)) {
        seen.add(b);
        answeredAt.push(sentAt.get(b)!);
      }
    }
  }
  peer.close();
  answeredAt.sort((a, b) => a - b);
  let longestGapMs = 0;
  for (let i = 1; i < answeredAt.length; i++) longestGapMs = Math.max(longestGapMs, answeredAt[i] - answeredAt[i - 1]);
  return { sent: n, answered: seen.size, longestGapMs };
}

describe.skipIf(!hasSipp)('upgrade under load', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upgrade-test-'));
    sipPort = await freePort(HOST);
    const webPort = await freeTcpPort(HOST);
    configPath = join(dir, 'appliance.toml');
    writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp"]
trusted = ["${GATEWAY}/32", "${PROBE}/32"]
worker_port_base = ${sipPort + 1}
[dns]
enabled = false
[web]
listen = "${HOST}"
port = ${webPort}
https = false
[control]
min_workers = 2
max_workers = 2
stop_grace_seconds = 4
`);
    const config = loadConfig(configPath);
    const store = openStore(config.dataDir);
    new ExtensionService(store, config.sip.domain).add({ number: '902', password: PW });
    store.close();
    appliance = Bun.spawn([process.execPath, MAIN, '--config', configPath], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    void collect(appliance.stdout);
    void collect(appliance.stderr);
    expect(await waitForLine(/control\.start/, 20_000)).toBeDefined();
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '902', '-au', '902', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${sipPort}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 60);
  }, 40_000);
  afterAll(async () => {
    callee?.kill();
    // Only the processes this test started: the appliance and the successor it reported.
    for (const pid of [appliance?.pid, successorPid]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGTERM');
    const until = Date.now() + 15_000;
    while ([appliance?.pid, successorPid].some((p) => p !== undefined && alive(p)) && Date.now() < until) await Bun.sleep(100);
    for (const pid of [appliance?.pid, successorPid]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test('20 calls/s of 2 s across an upgrade of the control section and its workers: no call refused or failed', async () => {
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', '902', `${HOST}:${sipPort}`, '-i', GATEWAY,
      '-d', '2000', '-r', '20', '-m', '300'], 45);
    const probing = probe(sipPort, 20, caller.done);
    await Bun.sleep(5000);
    const started = Date.now();
    const out: string[] = [];
    const errs: string[] = [];
    expect(await runCli(['--config', configPath, 'upgrade'], { out: (l) => out.push(l), err: (l) => errs.push(l) })).toBe(0);
    const answeredMs = Date.now() - started;
    successorPid = Number(/control section (\d+) runs its workers/.exec(out.join('\n'))?.[1]);
    expect(successorPid).toBeGreaterThan(0);
    // The old process exits once its workers have drained.
    const oldExit = await Promise.race([appliance!.exited, Bun.sleep(30_000).then(() => 'timeout')]);
    const oldGoneMs = Date.now() - started;
    const r = await caller.done;
    const p = await probing;
    const failed = sippStat(r, 'Failed call');
    // What went wrong, for the CI log.
    if (failed > 0) for (const f of readdirSync(r.dir).filter((x) => x.endsWith('errors.log'))) console.log(readFileSync(join(r.dir, f), 'utf8'));
    const ok = sippStat(r, 'Successful call');
    console.log(`upgrade under 20 calls/s (300 calls of 2 s): successor ready after ${answeredMs} ms, old control section exited after ${oldGoneMs} ms; `
      + `successful ${ok}, failed ${failed}, 503 ${sippCount(r, '503')}; OPTIONS every 20 ms: ${p.answered}/${p.sent} answered, longest gap between answers ${p.longestGapMs} ms`);
    expect(oldExit).toBe(0);
    expect(alive(successorPid)).toBe(true);
    expect(r.code).toBe(0);
    expect(failed).toBe(0);
    expect(ok).toBe(300);
    expect(sippCount(r, '503')).toBe(0);
    // Every answered call's record has its end, those in progress at the upgrade too (the
    // successor adopted them from its predecessor and saw their BYEs).
    await Bun.sleep(500);
    const store = openStore(loadConfig(configPath).dataDir);
    const records = store.callRecords.list({ limit: 1000 });
    store.close();
    expect(records.filter((c) => c.answeredAt !== null).length).toBe(300);
    expect(records.filter((c) => c.answeredAt !== null && c.endedAt === null).map((c) => c.callId)).toEqual([]);
    // The command channel is the successor's now.
    const status: string[] = [];
    expect(await runCli(['--config', configPath, 'peer', 'status'], { out: (l) => status.push(l), err: () => {} })).toBe(0);
    const workers = JSON.parse(status.join('\n')).workers as { state: string }[];
    expect(workers.filter((w) => w.state === 'running').length).toBe(2);
  }, 90_000);

  test('SIGHUP to the new control section reloads live keys: a policy threshold, and the workers\' log level', async () => {
    expect(successorPid).toBeGreaterThan(0);
    expect(output.some((l) => / DEBUG .*sip\.request: OPTIONS/.test(l))).toBe(false);
    writeFileSync(configPath, `${readFileSync(configPath, 'utf8').replace('[control]\n', '[control]\nscale_out_cpu_share = 0.61\n')}[log]\nlevel = "debug"\n`);
    process.kill(successorPid!, 'SIGHUP');
    expect(await waitForLine(/SIGHUP: reload: applied live: control\.scale_out_cpu_share, log\.level/, 5000)).toBeDefined();
    // The same workers now write their debug lines (one per SIP request).
    const peer = await SipUdpPeer.open(PROBE);
    peer.send(sipMessage(`OPTIONS sip:${HOST}:${sipPort} SIP/2.0`, [`Via: SIP/2.0/UDP ${peer.hostPort};branch=z9hG4bKdebug1`, 'Max-Forwards: 70',
      `From: <sip:probe@${PROBE}>;tag=d1`, `To: <sip:${HOST}>`, `Call-ID: debug-1@${PROBE}`, 'CSeq: 1 OPTIONS']), sipPort, HOST);
    expect(await peer.waitFor((m) => m.startsWith('SIP/2.0 200'))).toBeDefined();
    peer.close();
    expect(await waitForLine(/ DEBUG +\[cc \d+\] sip\.request: OPTIONS .* callId="debug-1@/, 3000)).toBeDefined();
  }, 15_000);

  test('SIGUSR2 upgrades the upgraded one again: a third control section takes over', async () => {
    const second = successorPid!;
    process.kill(second, 'SIGUSR2');
    const line = await waitForLine(/SIGUSR2: upgrade: control section \d+ runs its workers/, 20_000);
    expect(line).toBeDefined();
    successorPid = Number(/control section (\d+) runs its workers/.exec(line!)?.[1]);
    expect(successorPid).not.toBe(second);
    const until = Date.now() + 20_000;
    while (alive(second) && Date.now() < until) await Bun.sleep(100);
    expect(alive(second)).toBe(false);
    // The third one serves: the command channel, two workers, and a call.
    const status: string[] = [];
    expect(await runCli(['--config', configPath, 'peer', 'status'], { out: (l) => status.push(l), err: () => {} })).toBe(0);
    expect((JSON.parse(status.join('\n')).workers as { state: string }[]).filter((w) => w.state === 'running').length).toBe(2);
    const call = await runSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', '902', `${HOST}:${sipPort}`, '-i', GATEWAY, '-d', '100', '-m', '2'], 15);
    expect(call.code).toBe(0);
  }, 40_000);
});
