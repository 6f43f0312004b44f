import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../system/config/index.ts';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippCount, startSippUas } from '../../support/sipp.ts';

/**
 * The control section with real worker processes on 127.0.6.1: two connection control sections
 * share the SIP port; a registration made through one is known to the other; calls spread over
 * both (sipp -t un: one socket per call) succeed; a worker killed with SIGKILL is replaced and
 * calls go on; a drained worker finishes its calls and leaves.
 */
const HOST = '127.0.6.1';
const PHONE = '127.0.6.10';
const GATEWAY = '127.0.6.20';
const PW = 'Hotel-Pass-401';
const hasSipp = requireTool('sipp');
const uac = join(SHARED, 'bench/sipp/uac-call.xml');

let dir: string;
let control: ControlSection;
let sipPort: number;
let phonePort: number;
let callee: { kill: () => void } | undefined;

async function calls(count: number, rate: number) {
  return runSipp(['-sf', uac, '-s', '401', `${HOST}:${sipPort}`, '-i', GATEWAY, '-t', 'un', '-max_socket', '500',
    '-r', String(rate), '-m', String(count)], 30);
}

describe.skipIf(!hasSipp)('control section with worker processes', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'control-test-'));
    sipPort = await freePort(HOST);
    const configPath = join(dir, 'appliance.toml');
    writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp", "tcp"]
trusted = ["${GATEWAY}/32", "127.0.6.11/32"]
[dns]
enabled = false
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 2
max_workers = 2
sample_schedule = "*/1 * * * * *"
`);
    const config = loadConfig(configPath);
    const store = openStore(config.dataDir);
    new ExtensionService(store, config.sip.domain).add({ number: '401', password: PW });
    new ExtensionService(store, config.sip.domain).add({ number: '402', password: PW });
    new ExtensionService(store, config.sip.domain).add({ number: '403', password: PW });
    store.close();
    control = await startControlSection(config, { configArg: configPath, workerOutput: 'ignore' });
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two workers run and report their operating state', async () => {
    expect(control.pool.workers.filter((w) => w.state === 'running')).toHaveLength(2);
    const state = await control.sampleNow();
    expect(state.workers.map((w) => w.workerId).sort()).toEqual(control.pool.workers.map((w) => w.id).sort());
    for (const w of state.workers) {
      expect(w.cpuShare).toBeGreaterThanOrEqual(0);
      expect(w.cpuShare).toBeLessThanOrEqual(1);
      expect(w.rssBytes).toBeGreaterThan(0);
    }
    expect(state.host.memory?.totalBytes ?? 0).toBeGreaterThan(0);
  });

  test('a registration made through one worker serves calls handled by any worker', async () => {
    phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '401', '-au', '401', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${sipPort}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    // The callee answers for the rest of the file (bounded by its own timeout).
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 50);
    await control.sampleNow(); // starts a fresh period
    const r = await calls(60, 30);
    expect(r.code).toBe(0);
    const state = await control.sampleNow();
    // sipp -t un uses a socket per call, so the kernel spreads the INVITEs over both workers.
    expect(state.workers).toHaveLength(2);
    for (const w of state.workers) expect(w.requestsPerSecond.INVITE ?? 0).toBeGreaterThan(0);
    // The calls view is assembled from both workers: every call started and ended somewhere.
    // Their dialog events come in 50 ms batches: waited for (at most 3 s), not a fixed 200 ms.
    const until = Date.now() + 3000;
    while (Date.now() < until && (control.calls.count > 0 || control.calls.recentCalls(100).length < 60)) await Bun.sleep(50);
    expect(control.calls.count).toBe(0);
    expect(control.calls.recentCalls(100).length).toBe(60);
    // The ladder of one call, merged from the workers that each saw part of it.
    const callId = control.calls.recentCalls(1)[0].callId;
    const trace = await control.view.callTrace(callId);
    const steps = trace.map((e) => `${e.dir} ${e.label}`);
    for (const want of ['in INVITE', 'out 100 Trying', 'out INVITE', 'in 200 OK', 'out 200 OK', 'in ACK', 'out ACK', 'in BYE', 'out BYE']) {
      expect(steps).toContain(want);
    }
    expect(steps.indexOf('in INVITE')).toBeLessThan(steps.indexOf('in BYE'));
  }, 40_000);

  test('calls whose BYE is refused (481) leave the calls view too: the count is back to zero after the load', async () => {
    const PHONE_481 = '127.0.6.12';
    const port = await freePort(PHONE_481);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '403', '-au', '403', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${sipPort}`, '-i', PHONE_481, '-p', String(port), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    const refuser = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer-bye-481.xml'), '-i', PHONE_481, '-p', String(port), '-m', '40'], 30);
    const before = control.calls.recentCalls(200).length;
    // The caller's scenario wants 200 to its BYE, so sipp counts these calls failed: only the view is checked.
    const r = await runSipp(['-sf', uac, '-s', '403', `${HOST}:${sipPort}`, '-i', GATEWAY, '-t', 'un', '-max_socket', '500', '-r', '40', '-m', '40'], 30, undefined, false);
    refuser.kill();
    const answered = sippCount(r, "200");
    expect(answered).toBeGreaterThan(30);
    const until = Date.now() + 3000;
    // The workers report dialog events in 50 ms batches: wait for every answered call to show.
    while (Date.now() < until && (control.calls.count > 0 || control.calls.recentCalls(200).length < before + answered)) await Bun.sleep(50);
    expect(control.calls.count).toBe(0);
    const ended = control.calls.recentCalls(200).slice(0, control.calls.recentCalls(200).length - before);
    expect(ended.length).toBe(answered); // every answered call ended
    expect(ended.every((c) => c.reason === 'BYE answered 481')).toBe(true);
  }, 40_000);

  test('a worker killed with SIGKILL is replaced; calls and registrations go on', async () => {
    const victim = control.pool.workers[0];
    victim.proc.kill('SIGKILL');
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(control.pool.workers.length === 2 && control.pool.workers.every((w) => w.state === 'running' && w !== victim))) {
      await Bun.sleep(100);
    }
    expect(control.pool.workers.map((w) => w.id)).not.toContain(victim.id);
    expect(control.pool.workers.filter((w) => w.state === 'running')).toHaveLength(2);
    expect(control.store.events.recent(20, 'control.worker.crash').length).toBeGreaterThanOrEqual(1);
    const r = await calls(40, 20);
    expect(r.code).toBe(0);
  }, 40_000);

  /*
   * A phone that keeps its TCP connection open (as real phones do; sipp cannot register and then
   * answer on one connection): registers from a trusted address, answers every INVITE with 200
   * and every BYE with 200, on the connection it opened. Calls to it from the gateway land on
   * both workers (sipp -t un), so the worker that does not hold the connection must write
   * through the one that does, and get the responses back.
   */
  test('a phone holding a TCP connection to one worker is called through both', async () => {
    const PHONE_TCP = '127.0.6.11';
    let answered = 0;
    let buffer = '';
    const reply = (socket: { write(s: string): void }, req: string, status: string) => {
      const keep = req.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq|Record-Route):/i.test(l));
      const lines = keep.map((l) => (/^To:/i.test(l) && !/;tag=/.test(l) ? `${l};tag=tcpphone` : l));
      socket.write(`SIP/2.0 ${status}\r\n${lines.join('\r\n')}\r\nContact: <sip:402@${PHONE_TCP}:5099;transport=tcp>\r\nContent-Length: 0\r\n\r\n`);
    };
    const { connect } = await import('node:net');
    const phone = connect({ host: HOST, port: sipPort, localAddress: PHONE_TCP });
    await new Promise<void>((resolve, reject) => phone.once('connect', () => resolve()).once('error', reject));
    const socket = phone;
    phone.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
        const msg = buffer.slice(0, end);
        const len = Number(/\r\nContent-Length:\s*(\d+)/i.exec(msg)?.[1] ?? 0);
        if (buffer.length < end + 4 + len) break;
        buffer = buffer.slice(end + 4 + len);
        if (msg.startsWith('INVITE ')) {
          answered++;
          reply(socket, msg, '200 OK');
        } else if (msg.startsWith('BYE ')) reply(socket, msg, '200 OK');
      }
    });
    phone.write(`REGISTER sip:${HOST}:${sipPort} SIP/2.0\r\nVia: SIP/2.0/TCP ${PHONE_TCP}:${phone.localPort};branch=z9hG4bK-tcpreg-1\r\nFrom: <sip:402@office.lan>;tag=r1\r\nTo: <sip:402@office.lan>\r\nCall-ID: tcp-phone-reg\r\nCSeq: 1 REGISTER\r\nContact: <sip:402@${PHONE_TCP}:5099;transport=tcp>\r\nExpires: 600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
    await Bun.sleep(500);
    const r = await runSipp(['-sf', uac, '-s', '402', `${HOST}:${sipPort}`, '-i', GATEWAY, '-t', 'un', '-max_socket', '500', '-r', '20', '-m', '30'], 20);
    phone.destroy();
    expect(r.code).toBe(0);
    expect(answered).toBe(30);
  }, 30_000);

  test('a drained worker finishes its calls and exits without failing any', async () => {
    const load = calls(120, 40);
    await Bun.sleep(1000);
    const victim = control.pool.workers[0];
    control.pool.drain(victim);
    const r = await load;
    expect(r.code).toBe(0);
    const until = Date.now() + 15_000;
    while (Date.now() < until && control.pool.workers.includes(victim)) await Bun.sleep(100);
    expect(control.pool.workers).not.toContain(victim);
    expect(control.store.events.recent(20, 'control.worker.drained').length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('the admin view: workers, registrations, and an unregister that reaches every worker', async () => {
    expect(control.view.workers().filter((w) => w.state === 'running').length).toBeGreaterThanOrEqual(1);
    await Bun.sleep(100); // the workers' batched store writes (25 ms)
    const binding = control.view.registrations().find((b) => b.aor === 'sip:401@office.lan');
    expect(binding?.source).toBe(`udp:${PHONE}:${phonePort}`);
    control.view.unregister(binding!.aor, binding!.contact);
    await Bun.sleep(100);
    expect(control.view.registrations().some((b) => b.aor === 'sip:401@office.lan')).toBe(false);
    // Whichever worker takes the call (one socket per call), 401 is no longer reachable.
    const r = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-480.xml'), '-s', '401', `${HOST}:${sipPort}`, '-i', GATEWAY,
      '-t', 'un', '-max_socket', '50', '-m', '10', '-r', '10'], 15);
    expect(r.code).toBe(0);
  }, 30_000);
});
