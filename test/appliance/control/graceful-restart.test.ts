import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippCount, startSipp, startSippUas } from '../../support/sipp.ts';

/**
 * Graceful stop and restart (issue 12, finding 3): calls at 20/s that last a second each run
 * through the appliance while it is stopped (SIGTERM path: the workers take no new dialogs but
 * keep relaying for the calls in progress) and started again on the same ports (the Via ports
 * are stable per worker slot). Every call is either completed or refused at once with 503;
 * none that was answered is lost. 127.0.74.1 appliance, .10 callee, .20 gateway.
 */
const HOST = '127.0.74.1';
const PHONE = '127.0.74.10';
const GATEWAY = '127.0.74.20';
const PW = 'Mike-Pass-801';
const hasSipp = requireTool('sipp');
let t: TestControlSection;
let callee: { kill: () => void } | undefined;

describe.skipIf(!hasSipp)('graceful stop and restart under load', () => {
  beforeAll(async () => {
    const port = await freePort(HOST);
    t = await startTestControlSection(HOST, {
      port, sip: `trusted = ["${GATEWAY}/32"]\nworker_port_base = ${port + 1}`,
      control: 'min_workers = 2\nmax_workers = 2\nstop_grace_seconds = 4', extensions: { '801': PW },
    });
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '801', '-au', '801', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 60);
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await t?.stop();
  });

  test('a stop and start in the middle of 20 calls/s loses no answered call', async () => {
    const viaPorts = t.control.pool.workers.map((w) => w.viaPort).sort();
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', '801', `${HOST}:${t.port}`, '-i', GATEWAY,
      '-d', '1000', '-r', '20', '-m', '200'], 45);
    await Bun.sleep(3000);
    const stopping = Date.now();
    await t.control.stop();
    const stoppedAfter = Date.now() - stopping;
    await t.restart();
    const restarted = Date.now() - stopping;
    // The new workers took the old slots and their Via ports.
    expect(t.control.pool.workers.map((w) => w.viaPort).sort()).toEqual(viaPorts);
    const r = await caller.done;
    const answered = sippCount(r, '200');
    const refused = sippCount(r, '503');
    console.log(`restart: stop took ${stoppedAfter} ms, back after ${restarted} ms; 200 calls: exit ${r.code}, ${refused} refused with 503, 200s ${answered}`);
    // Every call completed or was refused at once (sipp's exit code counts any other end as failed).
    // Which step a failed call missed: sipp's final screen (under two CPU burners, 2 of 3 runs
    // here waited out the caller's 45 s with every INVITE answered 200 or 503).
    if (r.code !== 0) console.log(r.out.slice(-3500));
    expect(r.code).toBe(0);
    expect(stoppedAfter).toBeLessThan(t.config.control.stopGraceSeconds * 1000 + 2500);
  }, 90_000);
});
