/**
 * DNS function throughput: dnsperf (4 clients) against the appliance's DNS function (one Bun
 * process) and, when installed, against dnsmasq serving the same records, for two mixes:
 * - office: 1,000 A names + 250 SRV (A-heavy, few SRV: an office's phones and a few services);
 * - srv: NAMES A + NAMES SRV (default 1,000 each: the bench's original mix).
 * Prints `ratio_vs_dnsmasq_office=<x>` and, last, `ratio_vs_dnsmasq=<x>` (the srv mix;
 * appliance qps / dnsmasq qps). Run through the `bench/dns-qps` wrapper (node_modules/.bin/bun).
 *
 *   bench/dns-qps                 # 10 s per server and mix
 *   DURATION=5 NAMES=1000 OFFICE_A=1000 OFFICE_SRV=250 bench/dns-qps
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { startDnsFunction } from '../../appliance/dns/index.ts';
import { NO_REGISTRATIONS } from '../../appliance/dns/registered-contacts.ts';

const DURATION = Number(process.env.DURATION ?? 10);
const NAMES = Number(process.env.NAMES ?? 1000);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const OFFICE_A = Number(process.env.OFFICE_A ?? 1000);
const OFFICE_SRV = Number(process.env.OFFICE_SRV ?? 250);
const ZONE = 'office.lan';
/** Loopback addresses of this bench (127.0.206.0/24, apart from the tests'); fixed ports on them. */
const APPLIANCE = { ip: '127.0.206.53', port: 10053 };
const DNSMASQ = { ip: '127.0.206.54', port: 10053 };

const addressOf = (i: number) => `10.0.${i >> 8}.${i & 255}`;

function configFor(dataDir: string, port: number) {
  return parseConfig(`data_dir = "${dataDir}"\n[sip]\nlisten = "127.0.0.1"\n[dns]\nlisten = "${APPLIANCE.ip}"\nport = ${port}\nzone = "${ZONE}"\n`, 'bench');
}

/** Child mode: serve the store in `dir` on `port` until killed. */
async function serve(dir: string, port: number): Promise<void> {
  const store = openStore(dir);
  const dns = await startDnsFunction({ config: configFor(dir, port), store, registrations: NO_REGISTRATIONS });
  console.log(`ready ${dns.udpPort}`);
  process.on('SIGTERM', async () => {
    await dns.stop();
    store.close();
    process.exit(0);
  });
}

function which(name: string): string | undefined {
  return Bun.which(name) ?? ['/usr/sbin', '/sbin'].map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

async function waitForAnswer(ip: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const p = Bun.spawn(['dig', '+short', '+tries=1', '+time=1', '-p', String(port), `@${ip}`, `h0.${ZONE}`, 'A'], { stdout: 'pipe' });
    if ((await new Response(p.stdout).text()).trim() === addressOf(0)) return;
    await Bun.sleep(100);
  }
  throw new Error(`no DNS answer on port ${port}`);
}

interface PerfResult { qps: number; avgMs: number; stdMs: number; lost: string; sent: string }

async function dnsperf(ip: string, port: number, queryFile: string): Promise<PerfResult> {
  const p = Bun.spawn(['dnsperf', '-s', ip, '-p', String(port), '-d', queryFile, '-l', String(DURATION), '-c', String(CLIENTS), '-q', '200'], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    stdMs: num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000,
    sent: /Queries sent:\s+(\d+)/.exec(out)?.[1] ?? '?',
    lost: /Queries lost:\s+(\d+ \([\d.]+%\))/.exec(out)?.[1] ?? '?',
  };
}

const show = (who: string, r: PerfResult) =>
  console.log(`  ${who}: qps=${r.qps.toFixed(0)} avg_latency_ms=${r.avgMs.toFixed(3)} stddev_ms=${r.stdMs.toFixed(3)} sent=${r.sent} lost=${r.lost}`);

/** A record set and its queries: hN A for N < a, _sip._udp.hN SRV for N < srv, each queried once per pass. */
interface Mix { readonly name: string; readonly a: number; readonly srv: number }

type Child = { kill(): void; exited: Promise<unknown> };

/** Runs one mix against the appliance and, if installed, dnsmasq; returns appliance qps / dnsmasq qps. */
async function runMix(mix: Mix, root: string, children: Child[]): Promise<number | undefined> {
  const dir = join(root, mix.name);
  mkdirSync(dir);
  // Records in the store (appliance) and a conf file (dnsmasq).
  const store = openStore(dir);
  store.db.transaction(() => {
    for (let i = 0; i < mix.a; i++) store.dnsRecords.add({ name: `h${i}.${ZONE}`, type: 'A', value: addressOf(i), ttl: null });
    for (let i = 0; i < mix.srv; i++) store.dnsRecords.add({ name: `_sip._udp.h${i}.${ZONE}`, type: 'SRV', value: `10 100 5060 h${i}.${ZONE}.`, ttl: null });
  })();
  store.close();
  const queries = join(dir, 'queries.txt');
  const lines: string[] = [];
  for (let i = 0; i < Math.max(mix.a, mix.srv); i++) {
    if (i < mix.a) lines.push(`h${i}.${ZONE} A`);
    if (i < mix.srv) lines.push(`_sip._udp.h${i}.${ZONE} SRV`);
  }
  writeFileSync(queries, `${lines.join('\n')}\n`);
  console.log(`${mix.name} mix: ${mix.a} A names + ${mix.srv} SRV, ${CLIENTS} clients, ${DURATION} s per server, loopback`);

  const app = Bun.spawn([process.execPath, import.meta.path, '--serve', dir, String(APPLIANCE.port)], { stdout: 'pipe', stderr: 'inherit' });
  children.push(app);
  await waitForAnswer(APPLIANCE.ip, APPLIANCE.port);
  const mine = await dnsperf(APPLIANCE.ip, APPLIANCE.port, queries);
  show('appliance', mine);
  app.kill();
  await app.exited;

  const dnsmasq = which('dnsmasq');
  if (!dnsmasq) {
    console.log('  dnsmasq: not installed, no comparison');
    return undefined;
  }
  const conf = join(dir, 'dnsmasq.conf');
  const confLines: string[] = [];
  for (let i = 0; i < mix.a; i++) confLines.push(`host-record=h${i}.${ZONE},${addressOf(i)}`);
  for (let i = 0; i < mix.srv; i++) confLines.push(`srv-host=_sip._udp.h${i}.${ZONE},h${i}.${ZONE},5060,10,100`);
  writeFileSync(conf, `${confLines.join('\n')}\n`);
  const ref = Bun.spawn([dnsmasq, '--no-daemon', '--no-resolv', '--no-hosts', `--listen-address=${DNSMASQ.ip}`, '--bind-interfaces', `--port=${DNSMASQ.port}`, `--conf-file=${conf}`, '--local-ttl=60'], { stdout: 'ignore', stderr: 'ignore' });
  children.push(ref);
  await waitForAnswer(DNSMASQ.ip, DNSMASQ.port);
  const theirs = await dnsperf(DNSMASQ.ip, DNSMASQ.port, queries);
  show('dnsmasq', theirs);
  ref.kill();
  await ref.exited;
  return mine.qps / theirs.qps;
}

async function main(): Promise<void> {
  if (!which('dnsperf') || !which('dig')) throw new Error('bench/dns-qps needs dnsperf and dig');
  const root = mkdtempSync(join(tmpdir(), 'dns-qps-'));
  const children: Child[] = [];
  const stop = () => {
    for (const c of children) c.kill();
  };
  process.on('SIGINT', () => { stop(); rmSync(root, { recursive: true, force: true }); process.exit(130); });
  process.on('SIGTERM', () => { stop(); rmSync(root, { recursive: true, force: true }); process.exit(143); });
  try {
    const office = await runMix({ name: 'office', a: OFFICE_A, srv: OFFICE_SRV }, root, children);
    const srv = await runMix({ name: 'srv', a: NAMES, srv: NAMES }, root, children);
    const ratio = (r: number | undefined) => (r === undefined ? 'n/a' : r.toFixed(2));
    console.log(`ratio_vs_dnsmasq_office=${ratio(office)}`);
    console.log(`ratio_vs_dnsmasq=${ratio(srv)}`);
  } finally {
    stop();
    rmSync(root, { recursive: true, force: true });
  }
}

const USAGE = `usage: bench/dns-qps   (settings from the environment)
  DURATION=S    seconds of dnsperf per server and mix (default 10)
  CLIENTS=N     dnsperf clients (default 4)
  OFFICE_A=N    A names of the office mix (default 1000)
  OFFICE_SRV=N  SRV names of the office mix (default 250)
  NAMES=N       names of the srv mix, each with A and SRV (default 1000)
Prints ratio_vs_dnsmasq_office=<x>, then last ratio_vs_dnsmasq=<x> (the srv mix).`;

if (process.argv[2] === '-h' || process.argv[2] === '--help') console.log(USAGE);
else if (process.argv[2] === '--serve') await serve(process.argv[3], Number(process.argv[4]));
else await main();
