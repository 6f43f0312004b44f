import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { requireTool } from '../../support/require-tool.ts';
import { runSipp, SCENARIOS } from '../../support/sipp.ts';
import { PeerPair, waitFor } from './support/peer-pair.ts';

/**
 * Upgrade with a peer (issue 17, docs/IMAGE.md): hand-off → upgrade → take back. Appliance A is
 * the real entry point as a process, its peer B a control section in this process. A hands its
 * new traffic to B (CLI), is upgraded (CLI): the successor control section keeps the hand-off
 * (a new call to A is still redirected to B) and B still serves for A; then the take-back from
 * the successor brings new traffic home. 127.0.230.40 A, .41 B, .42 trusted gateway.
 */
const GATEWAY = '127.0.230.42';
const MAIN = resolve(import.meta.dir, '../../../appliance/main.ts');
const hasSipp = requireTool('sipp');
let pair: PeerPair;
let a: Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
let successorPid: number | undefined;
const output: string[] = [];

const cli = async (...args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--config', pair.a.path, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const statusOfA = async () => {
  const r = await cli('peer', 'status');
  return r.code === 0 ? (JSON.parse(r.out) as { handedOffTo: string | null; peers: { name: string; state: string }[] }) : undefined;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function collect(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    output.push(...decoder.decode(value).split('\n'));
  }
}

describe.skipIf(!hasSipp)('hand-off, upgrade, take back', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: ['127.0.230.40', '127.0.230.41'], workers: [1, 1], extensions: [['701'], ['702']], trusted: [GATEWAY] });
    await pair.start(pair.b);
    a = Bun.spawn([process.execPath, MAIN, '--config', pair.a.path], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    void collect(a.stdout);
    void collect(a.stderr);
    expect(await waitFor(() => output.some((l) => /control\.start/.test(l)), 20_000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(async () => (await statusOfA())?.peers[0]?.state === 'up', 10_000)).toBeGreaterThanOrEqual(0);
  }, 40_000);
  afterAll(async () => {
    // Only what this test started: A, the successor it reported, and B (in this process).
    for (const pid of [a?.pid, successorPid]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => ![a?.pid, successorPid].some((p) => p !== undefined && alive(p)), 15_000);
    for (const pid of [a?.pid, successorPid]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    await pair?.stop();
  }, 30_000);

  test('the successor keeps the hand-off to B; the take-back from it brings new calls home', async () => {
    const b = pair.b.control!;
    expect((await cli('peer', 'hand-off', 'b')).code).toBe(0);
    expect((await statusOfA())?.handedOffTo).toBe('b');
    expect(b.peers.roles.servingFor).toContain('a');

    const up = await cli('upgrade');
    expect(up.code).toBe(0);
    successorPid = Number(/control section (\d+) runs its workers/.exec(up.out)?.[1]);
    expect(successorPid).toBeGreaterThan(0);
    expect(await Promise.race([a!.exited, Bun.sleep(30_000).then(() => 'timeout')])).toBe(0);
    // The successor answers the command channel and has asked B again.
    expect(await waitFor(async () => (await statusOfA())?.handedOffTo === 'b', 10_000)).toBeGreaterThanOrEqual(0);
    expect(output.some((l) => /hand-off to b carried over: handed off to b/.test(l))).toBe(true);
    expect(b.peers.roles.servingFor).toContain('a');
    // New calls to A still go to B (302 to the peer, [control] hand_off_mode = "redirect").
    const redirected = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-302.xml'), '-s', '702', `${pair.a.host}:${pair.a.sipPort}`, '-i', GATEWAY, '-m', '1'], 10);
    expect(redirected.code).toBe(0);

    expect((await cli('peer', 'take-back')).code).toBe(0);
    expect((await statusOfA())?.handedOffTo).toBeNull();
    expect(await waitFor(() => !b.peers.roles.servingFor.includes('a'), 5000)).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
