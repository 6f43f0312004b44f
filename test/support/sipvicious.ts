import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './require-tool.ts';

/**
 * Runs a SIPVicious tool (Debian package `sipvicious` 0.3.x: svmap, svwar, svcrack) and reads
 * its result table. Each run is bounded: the tool's own options keep it short (--maximumtime,
 * -t), and it is killed at `timeoutSeconds` whatever it does (svcrack keeps re-sending
 * REGISTERs for as long as it gets answers without a challenge).
 *
 * sipvicious 0.3.3's svwar and svcrack parse `-b` but never pass it on: they bind the wildcard
 * address and send from 127.0.0.1. A `sitecustomize` on PYTHONPATH binds their socket to
 * `bindAddress` instead, so each run comes from a test address of its own (and a ban of one
 * run's address does not silence the next).
 */
export interface ToolRun {
  readonly code: number | null;
  readonly out: string;
  readonly killed: boolean;
  readonly seconds: number;
}

const SITECUSTOMIZE = `import os, socket
_addr = os.environ.get('SIPVICIOUS_BIND')
if _addr:
    _bind = socket.socket.bind
    def _bind_to_test_address(self, address):
        if isinstance(address, tuple) and address[0] in ('', '0.0.0.0'):
            address = (_addr,) + tuple(address[1:])
        return _bind(self, address)
    socket.socket.bind = _bind_to_test_address
`;
let shimDir: string | undefined;

function shim(): string {
  if (!shimDir) {
    shimDir = mkdtempSync(join(tmpdir(), 'sipvicious-shim-'));
    writeFileSync(join(shimDir, 'sitecustomize.py'), SITECUSTOMIZE);
  }
  return shimDir;
}

/** Removes the sitecustomize directory (call once the tools have run). */
export function removeShim(): void {
  if (shimDir) rmSync(shimDir, { recursive: true, force: true });
  shimDir = undefined;
}

export async function runSipvicious(tool: 'svmap' | 'svwar' | 'svcrack', args: string[], timeoutSeconds: number, bindAddress: string): Promise<ToolRun> {
  const path = findTool(tool);
  if (!path) throw new Error(`${tool} is not installed (Debian package sipvicious)`);
  const started = performance.now();
  const env = { ...process.env, PYTHONPATH: shim(), SIPVICIOUS_BIND: bindAddress };
  const proc = Bun.spawn([path, '-b', bindAddress, '-x', bindAddress, ...args], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore', env });
  let killed = false;
  const killer = setTimeout(() => { killed = true; proc.kill(9); }, timeoutSeconds * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(killer);
  return { code: killed ? null : code, out: out + err, killed, seconds: (performance.now() - started) / 1000 };
}

/**
 * The rows of the table a SIPVicious tool prints at the end (pptable: `| a | b |` lines),
 * without the header row; empty when it printed "found nothing".
 */
export function resultRows(out: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const line of out.split('\n')) {
    const m = /^\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line.trim());
    if (!m) continue;
    if (['Extension', 'SIP Device'].includes(m[1])) continue;
    rows.push([m[1], m[2]]);
  }
  return rows;
}
