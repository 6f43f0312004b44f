import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlOptions, type ControlSection } from '../../../../appliance/control/control-section.ts';
import { loadConfig, type ApplianceConfig } from '../../../../system/config/index.ts';
import { openStore, type Store } from '../../../../system/store/index.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS } from '../../../support/sipp.ts';

/** A password the extension policy accepts (random-looking, no dictionary words). */
export const PHONE_PASSWORD = 'vQ7#tLm9-Rk2pXw';
export const SECRET = 'peer-secret-for-the-binding-tests-0123';

/** One appliance of a pair: its control section (in this process; workers are processes). */
export interface PairMember {
  readonly name: string;
  readonly host: string;
  readonly path: string;
  readonly sipPort: number;
  readonly dnsPort: number;
  readonly webPort: number;
  config: ApplianceConfig;
  control?: ControlSection;
}

export interface PairOptions {
  /** Loopback addresses of A and B (each test file has its own). */
  readonly hosts: readonly [string, string];
  readonly workers: readonly [number, number];
  /** Extensions added to A's and B's store before start. */
  readonly extensions: readonly [readonly string[], readonly string[]];
  /** Addresses allowed to call without auth (the test's gateway). */
  readonly trusted: readonly string[];
  readonly maxExpires?: number;
  /** `[control] sample_schedule` (default every second). */
  readonly sampleSchedule?: string;
  /** More `[control]` lines for A and B (e.g. `hand_off_mode = "forward"`). */
  readonly control?: readonly [string, string];
  /** Lines at the end of A's and B's file (e.g. `[[control.hand_off_schedule]]` tables). */
  readonly tail?: readonly [string, string];
  /** `[sip] transports` of both (default `["udp"]`). */
  readonly transports?: readonly string[];
}

/**
 * Two appliances that are peers of each other, each with its own data directory, SIP, DNS and
 * (plain HTTP, test only) web port on its own loopback address. Nothing starts until `start`.
 */
export class PeerPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'peer-pair-'));
  a!: PairMember;
  b!: PairMember;

  private constructor(private readonly opts: PairOptions) {}

  static async prepare(opts: PairOptions): Promise<PeerPair> {
    const pair = new PeerPair(opts);
    const [ha, hb] = opts.hosts;
    const ports = async (host: string) => ({ sip: await freePort(host), dns: await freeTcpPort(host), web: await freeTcpPort(host) });
    const pa = await ports(ha);
    const pb = await ports(hb);
    pair.a = pair.write('a', ha, pa, { name: 'b', host: hb, ...pb }, opts.workers[0], 0);
    pair.b = pair.write('b', hb, pb, { name: 'a', host: ha, ...pa }, opts.workers[1], 1);
    pair.addExtensions(pair.a, opts.extensions[0]);
    pair.addExtensions(pair.b, opts.extensions[1]);
    return pair;
  }

  /** Opens a member's store (its own connection, as the admin CLI would). */
  withStore<T>(m: PairMember, run: (store: Store) => T): T {
    const store = openStore(m.config.dataDir);
    try {
      return run(store);
    } finally {
      store.close();
    }
  }

  async start(m: PairMember, opts: Partial<ControlOptions> = {}): Promise<ControlSection> {
    m.control = await startControlSection(m.config, { configArg: m.path, workerOutput: 'ignore', ...opts });
    return m.control;
  }

  async stopMember(m: PairMember): Promise<void> {
    await m.control?.stop();
    m.control = undefined;
  }

  async stop(): Promise<void> {
    await this.stopMember(this.a).catch(() => {});
    await this.stopMember(this.b).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Registers `ext` from `phone` at `m` with sipp (digest auth); returns the phone's port. */
  async register(m: PairMember, ext: string, phone: string, expires = 3600): Promise<number> {
    const port = await freePort(phone);
    const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PHONE_PASSWORD, '-key', 'expires', String(expires),
      `${m.host}:${m.sipPort}`, '-i', phone, '-p', String(port), '-m', '1'], 10);
    if (r.code !== 0) throw new Error(`sipp REGISTER ${ext} at ${m.name} failed:\n${r.out.slice(-1500)}`);
    return port;
  }

  private write(name: string, host: string, p: { sip: number; dns: number; web: number }, peer: { name: string; host: string; sip: number; web: number }, workers: number, i: 0 | 1): PairMember {
    const path = join(this.dir, `${name}.toml`);
    writeFileSync(path, `name = "${name}"\ndata_dir = "${this.dir}/${name}"\n` +
      `[sip]\nlisten = "${host}"\nport = ${p.sip}\ntransports = [${(this.opts.transports ?? ['udp']).map((t) => `"${t}"`).join(', ')}]\ntrusted = [${this.opts.trusted.map((t) => `"${t}/32"`).join(', ')}]\n` +
      `max_expires = ${this.opts.maxExpires ?? 7200}\n` +
      `[dns]\nenabled = true\nlisten = "${host}"\nport = ${p.dns}\n` +
      `[web]\nlisten = "${host}"\nport = ${p.web}\nhttps = false\n` +
      `[control]\nmin_workers = ${workers}\nmax_workers = ${workers}\nheartbeat_seconds = 1\nsample_schedule = "${this.opts.sampleSchedule ?? '*/1 * * * * *'}"\n` +
      `${this.opts.control?.[i] ?? ''}\n` +
      `[[peers]]\nname = "${peer.name}"\nurl = "http://${peer.host}:${peer.web}"\nsip = "${peer.host}:${peer.sip}"\nsecret = "${SECRET}"\n` +
      `${this.opts.tail?.[i] ?? ''}\n`);
    return { name, host, path, sipPort: p.sip, dnsPort: p.dns, webPort: p.web, config: loadConfig(path) };
  }

  private addExtensions(m: PairMember, numbers: readonly string[]): void {
    this.withStore(m, (store) => {
      const svc = new ExtensionService(store, m.config.sip.domain);
      for (const n of numbers) svc.add({ number: n, password: PHONE_PASSWORD });
    });
  }
}

/** Polls `check` every 25 ms for up to `ms`; resolves with the time it took, or -1. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check()) return Date.now() - t0;
    await Bun.sleep(25);
  }
  return -1;
}

/** `dig` against one member's DNS function; returns the status word and the A answers. */
export async function digA(m: PairMember, name: string): Promise<{ status: string | undefined; answers: string[] }> {
  const p = Bun.spawn(['dig', '-p', String(m.dnsPort), `@${m.host}`, '+tries=1', '+time=2', '+noall', '+comments', '+answer', name, 'A'], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const answers = out.split('\n').filter((l) => /\sIN\s+A\s/.test(l)).map((l) => l.trim().split(/\s+/).pop()!);
  return { status: /status: (\w+)/.exec(out)?.[1], answers };
}

/** Every worker's bindings of `aor` at `m` (IPC), flattened with the worker ids. */
export async function workerBindings(m: PairMember, aor: string): Promise<{ workers: number; bindings: number }> {
  const per = await m.control!.locationOf(aor);
  return { workers: per.size, bindings: [...per.values()].reduce((a, l) => a + l.length, 0) };
}
