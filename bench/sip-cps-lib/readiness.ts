/** "Takes SIP": a sipp OPTIONS to the SUT itself answered 200. */
import { join } from 'node:path';
import { runSipp } from './sipp.ts';

/** Polls until OPTIONS gets a 200 or `stillStarting()` turns false; true when answered. */
export async function waitForOptions(
  target: { host: string; port: number },
  from: { ip: string; port: number },
  dir: string,
  sippDir: string,
  timeoutMs: number,
  stillStarting: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillStarting()) {
    const r = await runSipp(dir, 'options-ping', [
      '-sf', join(sippDir, 'options.xml'), `${target.host}:${target.port}`,
      '-i', from.ip, '-p', String(from.port), '-m', '1', '-timeout', '1s',
    ], 3000);
    if (r.counters?.successful === 1) return true;
    await Bun.sleep(200);
  }
  return false;
}
