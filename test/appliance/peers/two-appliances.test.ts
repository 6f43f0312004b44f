import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { peerHeaders } from '../../../appliance/peers/peer-auth.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../support/sipp.ts';
import { sipTargetsFor } from '../../../appliance/control/peer-roles.ts';

/**
 * Two appliances on 127.0.9.2 (A, its own process so it can be killed) and 127.0.9.3 (B, in
 * this process), each with its own data directory, peers of each other: registrations
 * replicate, calls cross, hand-off moves new calls to B, and B answers for A's phones when A
 * is killed; A comes back and resyncs. Loopback only.
 */
const A = '127.0.9.2';
const B = '127.0.9.3';
const GATEWAY = '127.0.9.20';
const SECRET = 'peer-secret-for-the-two-appliance-test';
const PW = 'Juliet-Pass-601';
const hasSipp = requireTool('sipp');
const uac = join(SHARED, 'bench/sipp/uac-call.xml');
const ROOT = resolve(import.meta.dir, '../../..');

let dir: string;
let aPath: string;
let aProc: ReturnType<typeof Bun.spawn> | undefined;
let b: ControlSection;
const ports = { aSip: 0, bSip: 0, aWeb: 0, bWeb: 0 };
const callees: { kill: () => void }[] = [];

function toml(host: string, name: string, sip: number, web: number, peer: { name: string; host: string; sip: number; web: number }): string {
  return `name = "${name}"\ndata_dir = "${dir}/${name}"\n[sip]\nlisten = "${host}"\nport = ${sip}\ntransports = ["udp"]\ntrusted = ["${GATEWAY}/32"]\n` +
    `[dns]\nenabled = false\n[web]\nlisten = "${host}"\nport = ${web}\n[control]\nmin_workers = 1\nmax_workers = 1\nheartbeat_seconds = 1\nhand_off_mode = "forward"\n` +
    `[[peers]]\nname = "${peer.name}"\nurl = "https://${peer.host}:${peer.web}"\nsip = "${peer.host}:${peer.sip}"\nsecret = "${SECRET}"\n`;
}

function addExtensions(path: string): void {
  const config = loadConfig(path);
  const store = openStore(config.dataDir);
  const svc = new ExtensionService(store, config.sip.domain);
  for (const n of ['601', '602', '603', '604']) svc.add({ number: n, password: PW });
  store.close();
}

async function startA(): Promise<void> {
  aProc = Bun.spawn([process.execPath, join(ROOT, 'appliance/main.ts'), '--config', aPath], { stdout: 'ignore', stderr: 'ignore' });
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const up = await fetch(`https://${A}:${ports.aWeb}/peer/heartbeat`, { method: 'POST', body: '{}', tls: { rejectUnauthorized: false } }).then(() => true, () => false);
    if (up) return;
    await Bun.sleep(100);
  }
  throw new Error('appliance A did not start');
}

async function register(ext: string, appliance: string, sipPort: number, phone: string, expires = 3600, phonePort?: number) {
  const port = phonePort ?? (await freePort(phone));
  const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW, '-key', 'expires', String(expires),
    `${appliance}:${sipPort}`, '-i', phone, '-p', String(port), '-m', '1'], 10);
  expect(r.code).toBe(0);
  return port;
}

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (check()) return Date.now() - t0;
    await Bun.sleep(25);
  }
  return -1;
}

const bHas = (aor: string) => b.store.registrations.loadActive().some((x) => x.aor === aor);
/** A runs in its own process: its store is read from disk. */
function aHas(aor: string): boolean {
  const s = openStore(join(dir, 'a'));
  try {
    return s.registrations.loadActive().some((x) => x.aor === aor);
  } finally {
    s.close();
  }
}

describe.skipIf(!hasSipp)('two appliances as peers', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peers-test-'));
    ports.aSip = await freePort(A);
    ports.bSip = await freePort(B);
    ports.aWeb = await freeTcpPort(A);
    ports.bWeb = await freeTcpPort(B);
    aPath = join(dir, 'a.toml');
    const bPath = join(dir, 'b.toml');
    writeFileSync(aPath, toml(A, 'a', ports.aSip, ports.aWeb, { name: 'b', host: B, sip: ports.bSip, web: ports.bWeb }));
    writeFileSync(bPath, toml(B, 'b', ports.bSip, ports.bWeb, { name: 'a', host: A, sip: ports.aSip, web: ports.aWeb }));
    addExtensions(aPath);
    addExtensions(bPath);
    b = await startControlSection(loadConfig(bPath), { configArg: bPath, workerOutput: 'ignore' });
    await startA();
    expect(await waitFor(() => b.peers.links[0].state === 'up', 5000)).toBeGreaterThanOrEqual(0);
  }, 40_000);
  afterAll(async () => {
    for (const c of callees) c.kill();
    aProc?.kill('SIGKILL');
    await b?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a REGISTER on A is on B within a second; so is its removal', async () => {
    const phonePort = await register('601', A, ports.aSip, '127.0.9.10');
    const seen = await waitFor(() => bHas('sip:601@office.lan'), 1000);
    expect(seen).toBeGreaterThanOrEqual(0);
    // The same phone (same Contact) de-registers on A: B drops the binding too.
    await register('601', A, ports.aSip, '127.0.9.10', 0, phonePort);
    const gone = await waitFor(() => !bHas('sip:601@office.lan'), 1000);
    expect(gone).toBeGreaterThanOrEqual(0);
    console.log(`replication A→B: registration ${seen} ms, removal ${gone} ms`);
  }, 20_000);

  test('a phone on A calls a phone on B', async () => {
    const port = await register('602', B, ports.bSip, '127.0.9.11');
    callees.push(await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', '127.0.9.11', '-p', String(port)], 60));
    // The caller is the gateway on A's side; A knows 602 only through replication (waited for, not slept on).
    expect(await waitFor(() => aHas('sip:602@office.lan'), 5000)).toBeGreaterThanOrEqual(0);
    const r = await runSipp(['-sf', uac, '-s', '602', `${A}:${ports.aSip}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '3', '-r', '3'], 15);
    expect(r.code).toBe(0);
  }, 30_000);

  test('peer requests with a wrong secret, a replay or a stale timestamp are refused', async () => {
    const url = `https://${B}:${ports.bWeb}/peer/heartbeat`;
    const tls = { rejectUnauthorized: false }; // the self-signed certificate B generated
    const body = JSON.stringify({ summary: { name: 'a', ts: Date.now(), overloaded: false, workers: 1, activeCalls: 0, handedOff: false } });
    const wrong = await fetch(url, { method: 'POST', body, tls, headers: peerHeaders('a', 'not-the-right-secret-at-all', 'POST', '/peer/heartbeat', body) });
    expect(wrong.status).toBe(401);
    const headers = peerHeaders('a', SECRET, 'POST', '/peer/heartbeat', body);
    expect((await fetch(url, { method: 'POST', body, tls, headers })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', body, tls, headers })).status).toBe(401);
    const stale = peerHeaders('a', SECRET, 'POST', '/peer/heartbeat', body, Date.now() - 120_000);
    expect((await fetch(url, { method: 'POST', body, tls, headers: stale })).status).toBe(401);
    expect(b.store.events.recent(10, 'peer.auth.refused').length).toBeGreaterThanOrEqual(3);
  });

  test('after B hands off to A, new calls to B are carried by A; SRV prefers A; take-back ends it', async () => {
    const phone = '127.0.9.14';
    const port = await register('604', B, ports.bSip, phone);
    // A carries B's new calls to this phone, which it knows through replication.
    expect(await waitFor(() => aHas('sip:604@office.lan'), 5000)).toBeGreaterThanOrEqual(0);
    const handed = await b.peers.handOff({ cause: 'admin', peer: 'a' });
    expect(handed.ok).toBe(true);
    const config = loadConfig(join(dir, 'b.toml'));
    expect(sipTargetsFor(b.peers.roles, config, ports.bSip)[0]).toMatchObject({ address: A, port: ports.aSip });
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', phone, '-p', String(port), '-m', '3'], 20);
    const r = await runSipp(['-sf', uac, '-s', '604', `${B}:${ports.bSip}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '3', '-r', '3'], 15);
    expect(r.code).toBe(0);
    const answered = await callee.done;
    expect(answered.code).toBe(0);
    // B forwarded each new INVITE to A (hand_off_mode = "forward"), and A relayed it to the phone.
    const trace = await sippMessages(answered);
    const esc = (h: string) => h.replace(/\./g, '\\.');
    expect(trace).toMatch(new RegExp(`Via: SIP/2\\.0/UDP ${esc(A)}:\\d+;[^\\r\\n]*\\r\\nVia: SIP/2\\.0/UDP ${esc(B)}:\\d+;`));
    const back = await b.peers.takeBack();
    expect(back.ok).toBe(true);
    expect(sipTargetsFor(b.peers.roles, config, ports.bSip)[0]).toMatchObject({ address: config.sip.advertise, port: ports.bSip });
    expect(b.store.events.recent(20, 'peer.hand-off').length).toBeGreaterThanOrEqual(1);
  }, 40_000);

  test('the admin CLI hands off and takes back on the running appliance', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    const bPath = join(dir, 'b.toml');
    expect(await runCli(['--config', bPath, 'peer', 'status'], io)).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ name: 'b', peers: [{ name: 'a', state: 'up' }], handedOffTo: null });
    lines.length = 0;
    expect(await runCli(['--config', bPath, 'peer', 'hand-off', 'a'], io)).toBe(0);
    expect(lines).toEqual(['handed off to a']);
    expect(b.peers.roles.handedOffTo?.name).toBe('a');
    expect(await runCli(['--config', bPath, 'peer', 'take-back'], io)).toBe(0);
    expect(b.peers.roles.handedOffTo).toBeNull();
    expect(await runCli(['--config', bPath, 'peer', 'hand-off', 'nobody'], io)).toBe(1);
  });

  test('A killed: B marks it down and answers for its phones; A returns and resyncs', async () => {
    const phone = '127.0.9.12';
    const port = await register('603', A, ports.aSip, phone);
    expect(await waitFor(() => bHas('sip:603@office.lan'), 1000)).toBeGreaterThanOrEqual(0);
    const killedAt = Date.now();
    aProc!.kill('SIGKILL');
    await aProc!.exited;
    const down = await waitFor(() => b.peers.links[0].state === 'down', 10_000);
    expect(down).toBeGreaterThanOrEqual(0);
    console.log(`fail-over: A marked down ${Date.now() - killedAt} ms after SIGKILL`);
    // A's phone is reachable through B (replicated binding).
    callees.push(await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', phone, '-p', String(port)], 60));
    const r = await runSipp(['-sf', uac, '-s', '603', `${B}:${ports.bSip}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '2', '-r', '2'], 15);
    expect(r.code).toBe(0);
    // Meanwhile a phone registers on B; A restarts and gets it by full sync.
    await register('601', B, ports.bSip, '127.0.9.13');
    await startA();
    const aStore = () => openStore(join(dir, 'a'));
    const synced = await waitFor(() => {
      const s = aStore();
      try {
        return s.registrations.loadActive().some((x) => x.aor === 'sip:601@office.lan' && x.source.includes('127.0.9.13'));
      } finally {
        s.close();
      }
    }, 8000);
    expect(synced).toBeGreaterThanOrEqual(0);
    expect(b.peers.links[0].state).toBe('up');
  }, 60_000);
});
