import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { heapStats } from 'bun:jsc';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, SHARED, startSippUas } from '../../../support/sipp.ts';

/**
 * What a transaction keeps while it lingers (issue 12, "memory after a burst"): a finished
 * transaction stays 32 s for retransmissions (RFC 3261 §17.1.1.2 Timer D, §17.2.2 Timer J,
 * RFC 6026 Timers L and M) and must keep only what that duty needs. sipp calls (INVITE, 200,
 * ACK, BYE, 200) go through an in-process appliance, so this process's heap is the appliance's;
 * after the calls every transaction of theirs lingers. The heap after a full collection, less
 * the heap once they are terminated, divided by their number, is what one keeps.
 * Appliance 127.0.205.1, callee phone .2, trusted caller .3.
 */
const HOST = '127.0.205.1';
const PHONE = '127.0.205.2';
const GATEWAY = '127.0.205.3';
const PW = 'Linger-Pass-201';
const CALLS = 2500;
/** Bound from the measurement (docs/SIP.md "Memory after a burst"): below it with room for noise. */
const MAX_BYTES_PER_LINGERING = 1500;
const hasSipp = requireTool('sipp');

let ap: TestAppliance;
let callee: { kill: () => void } | undefined;

function liveHeap(): { bytes: number; objects: number } {
  Bun.gc(true);
  const h = heapStats();
  return { bytes: h.heapSize, objects: h.objectCount };
}

describe.skipIf(!hasSipp)('heap per lingering transaction', () => {
  beforeAll(async () => {
    // Measured, not judged: no shedding on a loaded box (lag alone sheds only above min_rate).
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]\n[overload]\nmin_rate = 1000000` });
    ap.addExtension('201', PW);
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await ap?.stop();
  });

  test(`${CALLS} calls: what their lingering transactions keep, per transaction`, async () => {
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '201', '-au', '201', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${ap.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10, undefined, false);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort), '-m', String(CALLS)], 40);
    // A few calls first, so that code compiled for the call path is in the baseline too.
    const warm = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '201', `${HOST}:${ap.port}`, '-i', GATEWAY,
      '-p', String(await freePort(GATEWAY)), '-r', '50', '-m', '20'], 15, undefined, false);
    expect(warm.code).toBe(0);
    const service = ap.app.sip.service;
    // The warm-up's transactions still linger: baseline after they are gone.
    service.close();
    const base = liveHeap();
    const t0 = Date.now();
    const calls = await runSipp(['-sf', join(SHARED, 'bench/sipp/uac-call.xml'), '-s', '201', `${HOST}:${ap.port}`, '-i', GATEWAY,
      '-p', String(await freePort(GATEWAY)), '-r', '300', '-m', String(CALLS - 20)], 30, undefined, false);
    const callsMs = Date.now() - t0;
    if (calls.code !== 0) console.log(calls.out.slice(-2000));
    expect(calls.code).toBe(0);
    const open = service.openTransactions;
    const lingering = liveHeap();
    service.close();
    const after = liveHeap();
    const per = (lingering.bytes - after.bytes) / open;
    console.log(`lingering-memory: ${CALLS - 20} calls in ${callsMs} ms; ${open} transactions lingering; heap base ${(base.bytes / 1e6).toFixed(1)} MB, ` +
      `lingering ${(lingering.bytes / 1e6).toFixed(1)} MB (${lingering.objects} objects), after they end ${(after.bytes / 1e6).toFixed(1)} MB (${after.objects} objects): ` +
      `${Math.round(per)} bytes and ${((lingering.objects - after.objects) / open).toFixed(1)} objects per lingering transaction`);
    // INVITE and BYE server transactions linger 32 s; the INVITE client transactions 32 s; BYE's 5 s (Timer K).
    expect(open).toBeGreaterThanOrEqual(3 * (CALLS - 20));
    expect(per).toBeLessThan(MAX_BYTES_PER_LINGERING);
  }, 60_000);
});
