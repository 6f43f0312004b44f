import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dgram from 'node:dgram';

/** Our own sipp scenarios (test/fixtures/sipp). */
export const SCENARIOS = resolve(import.meta.dir, '../fixtures/sipp');
/** Shared scenarios and data (never copied into the project). */
export const SHARED = resolve(import.meta.dir, '../../../shared');

export interface SippResult {
  readonly code: number;
  readonly out: string;
  readonly dir: string;
}

/** A free UDP port on `host` (IPv4 or IPv6; bound and released; fine for tests on distinct loopback addresses). */
export async function freePort(host: string): Promise<number> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A free TCP port on `host`. */
export async function freeTcpPort(host: string): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * Runs sipp to completion (bounded by `timeoutSeconds`), asynchronously so the in-process
 * appliance keeps serving. Exit code 0 means every call of the scenario succeeded.
 */
/** sipp's working directories, removed after the whole run (test/support/preload.ts). */
const made: string[] = [];

/** Removes every sipp working directory made so far. */
export function removeSippDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function runSipp(args: string[], timeoutSeconds = 20, onStart?: (kill: () => void) => void, traceMessages = true): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  made.push(dir);
  const proc = Bun.spawn(['sipp', ...args, '-nostdin', '-timeout', `${timeoutSeconds}s`, '-timeout_error', '-trace_err', ...(traceMessages ? ['-trace_msg'] : [])], {
    cwd: dir, stdout: 'pipe', stderr: 'pipe',
  });
  onStart?.(() => proc.kill(9));
  const killer = setTimeout(() => proc.kill(9), (timeoutSeconds + 5) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(killer);
  return { code, out: out + err, dir };
}

/** Starts sipp in the background; await `.done` for its result, or `kill()` it. */
export function startSipp(args: string[], timeoutSeconds = 20): { done: Promise<SippResult>; kill: () => void } {
  let kill = () => {};
  const done = runSipp(args, timeoutSeconds, (k) => (kill = k));
  return { done, kill: () => kill() };
}

/** An address as /proc/net shows it: each 32-bit word of it in host (little-endian) byte order, in hex. */
function procHex(host: string): string {
  let bytes: number[];
  if (!host.includes(':')) bytes = host.split('.').map(Number);
  else {
    const [head, tail] = host.split('::');
    const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
    const h = words(head);
    const t = words(tail);
    const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
    bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  }
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(...bytes.slice(i, i + 4).reverse().map((b) => b.toString(16).padStart(2, '0')));
  return out.join('').toUpperCase();
}

/**
 * True when something listens on `host:port` (IPv4 or IPv6; UDP bound, or TCP in LISTEN),
 * read from /proc/net: no probe socket of ours, which could take the port just as sipp binds it.
 */
export function listening(host: string, port: number, transport: 'udp' | 'tcp' = 'udp'): boolean {
  const file = `/proc/net/${transport}${host.includes(':') ? '6' : ''}`;
  const want = `${procHex(host)}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  return readFileSync(file, 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    // TCP state 0A is LISTEN (include/net/tcp_states.h); a UDP socket is listening once bound.
    return f[1] === want && (transport === 'udp' || f[3] === '0A');
  });
}

/** True when something has bound UDP `host:port` (IPv4 or IPv6). */
export function udpBound(host: string, port: number): boolean {
  return listening(host, port, 'udp');
}

/**
 * Starts a sipp UAS (`-i host -p port` among `args`) and resolves once it listens (at most
 * 10 s): on UDP, or on TCP/TLS when `-t` names a stream transport (t1, tn, l1, ln); instead of
 * a fixed sleep that a loaded box outlasts.
 */
export async function startSippUas(args: string[], timeoutSeconds = 20): Promise<{ done: Promise<SippResult>; kill: () => void }> {
  const host = args[args.indexOf('-i') + 1];
  const port = Number(args[args.indexOf('-p') + 1]);
  const t = args.includes('-t') ? args[args.indexOf('-t') + 1] : 'u1';
  const transport = t.startsWith('t') || t.startsWith('l') ? 'tcp' : 'udp';
  const s = startSipp(args, timeoutSeconds);
  let exited = false;
  void s.done.then(() => (exited = true));
  const end = Date.now() + 10_000;
  while (!exited && !listening(host, port, transport) && Date.now() < end) await Bun.sleep(10);
  return s;
}

/**
 * The messages of a sipp trace with the time each was sent or received (sipp's
 * `-trace_msg` log: a line of dashes with the date and time, then "UDP message sent|received").
 */
export async function sippTimedMessages(r: SippResult): Promise<{ readonly at: number; readonly dir: 'sent' | 'received'; readonly text: string }[]> {
  const text = await sippMessages(r);
  // Both traces of a test come from this host's clock: read as UTC, only differences count.
  return text.split(/^-{10,} (?=\d{4}-\d\d-\d\d)/m).flatMap((part) => {
    const m = /^(\d{4}-\d\d-\d\d)[\t ]+(\d\d:\d\d:\d\d)(?:\.(\d+))?\s*\n\S+ message (sent|received)[^\n]*\n\s*([\s\S]*)$/.exec(part);
    if (!m) return [];
    const at = Date.parse(`${m[1]}T${m[2]}Z`) + Number(`0.${m[3] ?? '0'}`) * 1000;
    return [{ at, dir: m[4] as 'sent' | 'received', text: m[5] }];
  });
}

/** Reads sipp's message trace (for assertions on what went over the wire). */
export async function sippMessages(r: SippResult): Promise<string> {
  const { readdirSync, readFileSync } = await import('node:fs');
  return readdirSync(r.dir).filter((f) => f.endsWith('_messages.log')).map((f) => readFileSync(join(r.dir, f), 'utf8')).join('\n');
}

/**
 * How many messages of a kind a finished sipp run counted, from the scenario screen it prints
 * at exit (e.g. `503 <---- 1523` → 1523 for "503"); the first such line (a 200 to the INVITE
 * comes before a 200 to the BYE); 0 when the line is absent.
 */
export function sippCount(r: SippResult, what: string): number {
  const line = r.out.split('\n').find((l) => new RegExp(`^\\s*${what}\\s+(<|-)`).test(l));
  // The count follows the arrow, after an optional timer label such as "E-RTD1".
  const n = line && /(?:<-+|-+>)\s+(?:[A-Za-z][\w-]*\s+)?(\d+)/.exec(line);
  return n ? Number(n[1]) : 0;
}
