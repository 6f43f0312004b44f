import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { ControlSection } from '../../../appliance/control/control-section.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { settledSample } from '../../support/settled-sample.ts';
import { freePort, runSipp, SCENARIOS, sippCount, startSippUas } from '../../support/sipp.ts';

/**
 * One hot flow across workers (issue 12): a gateway sends every call from one address:port,
 * which the kernel's reuseport hash pins to one of two workers. Once that worker is saturated
 * it hands the new calls it would refuse to the calm sibling (sip/pipeline/flow-spreader.ts),
 * with everything else of each call following it, so both workers carry the flow, nothing is
 * refused while the sibling has room, and no call fails (less than 0.1 %): every call is
 * answered or refused at once with 503 + Retry-After when both are full. 127.0.76.1 appliance, .10 callee,
 * .20 gateway.
 */
const HOST = '127.0.76.1';
const PHONE = '127.0.76.10';
const GATEWAY = '127.0.76.20';
const PW = 'Kilo-Pass-701';
// Beyond one worker on this 2-core box with both sipp instances on the same cores (one worker
// alone refuses part of 1,500 calls/s here); bench/faults measures it on a quiet box.
const RATE = 3000;
const CALLS = 15_000;
const hasSipp = requireTool('sipp');

/** The machine's CPU time counters (/proc/stat "cpu" line: user nice system idle iowait irq softirq steal). */
function cpuTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
}
/** The share of CPU time the hypervisor took between two readings. */
function stealShare(a: number[], b: number[]): number {
  const d = b.map((x, i) => x - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? d[7] / total : 0;
}
let t: TestControlSection;
let control: ControlSection;
let port: number;
let callee: { kill: () => void } | undefined;

describe.skipIf(!hasSipp)('one hot flow spread over two workers', () => {
  beforeAll(async () => {
    t = await startTestControlSection(HOST, {
      sip: `trusted = ["${GATEWAY}/32"]`, control: 'min_workers = 2\nmax_workers = 2\nsample_schedule = "*/1 * * * * *"',
      tables: '[security]\nmax_transactions = 100000', extensions: { '701': PW },
    });
    ({ control, port } = t);
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '701', '-au', '701', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 90);
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await t?.stop();
  });

  test('the saturated worker hands new calls to its sibling: both carry the flow, < 0.1 % of calls fail', async () => {
    await control.sampleNow();
    const cpuBefore = cpuTicks();
    const r = await runSipp(['-sf', join(SCENARIOS, 'uac-call-or-503.xml'), '-s', '701', `${HOST}:${port}`, '-i', GATEWAY,
      '-t', 'u1', '-r', String(RATE), '-m', String(CALLS), '-recv_timeout', '8000'], 60, undefined, false);
    const refused = sippCount(r, '503');
    const answered = sippCount(r, '200');
    // Totals each worker reported itself once the burst is over (settled-sample.ts): a stand-in
    // for a worker still too busy to answer repeats its last report, whose lagging counts would
    // break in = out below.
    const after = await settledSample(control, (w) => [w.spreadOut ?? 0, w.spreadIn ?? 0, w.shedTotal ?? 0]);
    const per = after.workers.map((w) => ({ id: w.workerId, out: w.spreadOut ?? 0, in: w.spreadIn ?? 0, shed: w.shedTotal ?? 0 }));
    console.log(`hot flow ${RATE}/s: ${CALLS} offered, ${answered} answered, ${refused} refused, exit ${r.code}; per worker ${JSON.stringify(per)}`);
    expect(after.workers).toHaveLength(2);
    const failed = CALLS - answered - refused;
    // Which step the failed calls missed: sipp's final screen.
    if (failed > CALLS * 0.001) console.log(r.out.slice(-3500));
    expect(failed).toBeLessThanOrEqual(CALLS * 0.001);
    // The spread needs the second core. On a virtual machine whose host takes a share of it
    // (steal time, /proc/stat), the sibling lags past its calm bound and rightly takes nothing:
    // seen at 8-50 % steal on the 2-core CI box. Then the spread is not judged, only the above.
    const steal = stealShare(cpuBefore, cpuTicks());
    console.log(`steal time during the run: ${(steal * 100).toFixed(1)} %`);
    if (steal > 0.05) {
      console.log('hot flow: the host took more than 5 % of the CPU (steal): the spread share is not judged in this run');
      return;
    }
    // One worker received the flow and handed part of it; the other took exactly that part
    // (the INVITEs, ACKs and BYEs of the calls handed, and their retransmissions).
    const [hot, sibling] = [...per].sort((a, b) => b.out - a.out);
    expect(hot.out).toBeGreaterThan(0);
    expect(sibling.in).toBe(hot.out);
    expect(sibling.out).toBe(0);
    // The sibling ran calls of the flow (~3 datagrams each): alone on this box 25-28 % of those
    // answered (3 runs), 9 % late in a whole-suite run with the host's steal time at 8-11 %, 0.3 %
    // with other test runs on the same two cores (the sibling not calm, so rightly not handed
    // more). At least 5 %: the sibling takes part, whatever else the box runs.
    expect(sibling.in / 3).toBeGreaterThan(answered * 0.05);
    // How many complete depends on what else runs on these two cores (sipp twice, the suite):
    // 10,008 of 15,000 alone here, 3,783 of 9,000 without spreading (worker-shedding.test.ts).
    expect(answered).toBeGreaterThan(0);
  }, 120_000);
});
