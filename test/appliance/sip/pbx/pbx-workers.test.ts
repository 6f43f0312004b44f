import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../../support/require-tool.ts';
import { startTestControlSection, type TestControlSection } from '../../../support/control-section.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../../support/sipp.ts';

/**
 * Feature codes and MWI with two worker processes (issue 15): a code one worker takes changes
 * the calls every worker routes (the store is the one owner), and the voicemail server's NOTIFY,
 * which may reach either worker, comes back to the phone. Control section on 127.0.253.50,
 * phone 127.0.253.51, trusted gateway 127.0.253.52, voicemail server 127.0.253.53.
 */
const HOST = '127.0.253.50';
const PHONE = '127.0.253.51';
const GATEWAY = '127.0.253.52';
const VM = '127.0.253.53';
const PW = { '201': 'Alpha-Lamp-2017', '202': 'Bravo-Lamp-2027' };
const hasSipp = requireTool('sipp');

let t: TestControlSection;
let vmPort = 0;
const dial = async (ext: '201' | '202', code: string) => {
  const r = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-feature-code.xml'), '-s', code, '-au', ext, '-ap', PW[ext], '-key', 'caller', ext,
    `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 10);
  return (await sippMessages(r)).match(/^SIP\/2\.0 (?!407|100)\d{3} [^\r\n]*/gm)?.pop();
};

describe.skipIf(!hasSipp)('feature codes and MWI across two workers', () => {
  beforeAll(async () => {
    vmPort = await freePort(VM);
    t = await startTestControlSection(HOST, { extensions: PW, sip: `trusted = ["${GATEWAY}/32"]`, tables: `[voicemail]\nuri = "sip:vm@${VM}:${vmPort}"\non_busy = false\non_no_answer = false` });
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('*78 through one worker: calls from many source ports (both workers) get 486; *79 and they no longer do', async () => {
    expect(await dial('202', '*78')).toBe('SIP/2.0 603 Do not disturb on');
    // Eight callers on fresh ports: the kernel's reuseport hash spreads them over both workers.
    const calls = await Promise.all(Array.from({ length: 8 }, async () => runSipp(['-sf', join(SCENARIOS, 'uac-expect-486.xml'), '-s', '202', `${HOST}:${t.port}`,
      '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10)));
    expect(calls.map((c) => c.code)).toEqual(Array(8).fill(0));
    expect(await dial('202', '*79')).toBe('SIP/2.0 603 Do not disturb off');
    // No binding and no voicemail on no answer: the ordinary 480.
    const after = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-480.xml'), '-s', '202', `${HOST}:${t.port}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10);
    expect(after.code).toBe(0);
  }, 30_000);

  test('MWI: the SUBSCRIBE reaches the server through one worker, its NOTIFY reaches the phone through whichever', async () => {
    for (let i = 0; i < 3; i++) {
      const vm = await startSippUas(['-sf', join(SCENARIOS, 'uas-voicemail-mwi.xml'), '-i', VM, '-p', String(vmPort), '-m', '1'], 10);
      const phone = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-subscribe-mwi.xml'), '-s', '201', '-au', '201', '-ap', PW['201'], '-key', 'caller', '201',
        `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 10);
      expect(phone.code).toBe(0);
      expect((await vm.done).code).toBe(0);
      expect(await sippMessages(phone)).toContain('Messages-Waiting: yes');
    }
  }, 40_000);
});
