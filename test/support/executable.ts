import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { type SipUdpPeer, sipMessage, statusOf } from './sip-udp-peer.ts';

/** The repository root (where package.json and node_modules are). */
export const REPO = resolve(import.meta.dir, '../..');

/**
 * Builds the appliance executable with package.json's own `build` command (so the test checks
 * what `npm run build` makes), writing it to `outfile` instead of dist/. Throws with bun's
 * output when the build fails.
 */
export async function buildExecutable(outfile: string): Promise<string> {
  const pkg = await Bun.file(resolve(REPO, 'package.json')).json() as { scripts: { build: string } };
  const words = pkg.scripts.build.split(/\s+/);
  const at = words.indexOf('--outfile');
  if (words[0] !== 'bun' || at < 0) throw new Error(`unexpected build script: ${pkg.scripts.build}`);
  words[0] = resolve(REPO, 'node_modules/.bin/bun');
  words[at + 1] = outfile;
  const proc = Bun.spawn(words, { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`build failed (${code}): ${out}${err}`);
  return outfile;
}

/**
 * Sends OPTIONS from `peer` every 20 ms (a new transaction each) until one is answered 200 or
 * `timeoutMs` passes; resolves with the ms waited, or undefined when none was answered.
 */
export async function awaitOptions200(peer: SipUdpPeer, host: string, port: number, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  for (let n = 1; performance.now() - started < timeoutMs; n++) {
    const callId = `probe-${randomBytes(6).toString('hex')}`;
    peer.send(sipMessage(`OPTIONS sip:${host}:${port} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${peer.hostPort};branch=z9hG4bK-${callId};rport`,
      'Max-Forwards: 70', `From: <sip:probe@${peer.address}>;tag=${n}`, `To: <sip:${host}:${port}>`,
      `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS',
    ]), port, host);
    const answer = await peer.waitFor((m) => m.includes(callId), 20);
    if (statusOf(answer) === 200) return performance.now() - started;
  }
  return undefined;
}
