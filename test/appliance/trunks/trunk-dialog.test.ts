import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider, providerTrunk } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * Inside an outside call (issue 14): CANCEL, re-INVITE and BYE through a trunk, with a real
 * provider (Kamailio 5.6 on 127.1.14.2, which record-routes and challenges the trunk's
 * re-INVITEs as it does its INVITEs) and a sipp UAS behind it on 127.1.14.30 ("the outside
 * world"). The appliance (127.1.14.1, two workers) registers the trunk; the phone of 201 (sipp
 * on 127.1.14.10) cancels a call while the far end rings, holds an answered call (its
 * re-INVITE reaches the far end, the provider's 407 answered with the trunk account, RFC 3261
 * §22.3) and hangs up, or is hung up on.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined && requireTool('sipp');
const HOST = '127.1.14.1';
const PROVIDER = '127.1.14.2';
const PHONE = '127.1.14.10';
const OUTSIDE = '127.1.14.30';
const TRUNK_PW = 'Trunk-Pass-Dialog-1';
const PW = { '201': 'Oscar-Pass-201' };

let provider: KamailioProvider;
let t: TestControlSection;
let providerPort = 0;
let outsidePort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
const call = async (dialled: string, scenario: string) => runSipp(['-sf', join(SCENARIOS, scenario), '-s', dialled,
  '-au', '201', '-ap', PW['201'], '-key', 'caller', '201', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(await freePort(PHONE)), '-m', '1'], 20);
/** The outside world runs `scenario`; listening when this resolves (not a fixed sleep). */
const outsideWorld = (scenario: string) => startSippUas(['-sf', join(SCENARIOS, scenario), '-i', OUTSIDE, '-p', String(outsidePort), '-m', '1'], 30);
const records = () => t.control.store.callRecords.list();
/** sipp's message log: each message after a line of dashes and its local time ("2026-12-03 12:00:00.123456"), in ms. */
function messageTimes(trace: string): { readonly at: number; readonly text: string }[] {
  return trace.split(/^\s*-{20,}\s+/m).slice(1).map((chunk) => {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d+)/.exec(chunk);
    return { at: m ? Date.parse(`${m[1]}T${m[2]}Z`) + Number(`0.${m[3]}`) * 1000 : NaN, text: chunk };
  });
}

describe.skipIf(!HAVE)('inside calls over a trunk: CANCEL, re-INVITE, BYE', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    outsidePort = await freePort(OUTSIDE);
    provider = await startKamailioProvider({
      address: PROVIDER, port: providerPort, domain: 'provider.example', username: '5551230000', password: TRUNK_PW, outside: `${OUTSIDE}:${outsidePort}`,
      challengeInDialog: true, probeAddress: '127.1.14.9',
    });
    t = await startTestControlSection(HOST, {
      extensions: PW,
      tables: [
        ...providerTrunk(`${PROVIDER}:${providerPort}`, TRUNK_PW),
        '[emergency]', 'numbers = ["911"]', 'trunk = "provider"',
      ].join('\n'),
    });
    await until(() => t.control.view.trunks()[0]?.state === 'up');
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('the caller cancels while the far end rings: the far end gets the CANCEL, the caller 487, the call record says 487', async () => {
    expect(t.control.view.trunks()[0].state).toBe('up');
    const world = await outsideWorld('uas-ring-cancel.xml');
    const r = await call('912125550487', 'uac-auth-cancel.xml');
    const trace = await sippMessages(r);
    expect(r.code).toBe(0);
    const far = await world.done;
    expect(far.code).toBe(0);
    expect(await sippMessages(far)).toMatch(/^CANCEL sip:\+12125550487@/m);
    // Our CANCEL to the 487 at the phone: the time the caller waits for its call to end.
    const msgs = messageTimes(trace);
    const cancelAt = msgs.find((m) => /message sent[^]*?\n\s*CANCEL /.test(m.text))?.at;
    const finalAt = msgs.find((m) => /message received[^]*?\n\s*SIP\/2\.0 487 /.test(m.text))?.at;
    expect(cancelAt).toBeGreaterThan(0);
    expect(finalAt).toBeGreaterThanOrEqual(cancelAt!);
    console.log(`trunk call cancelled: CANCEL to 487 at the caller ${(finalAt! - cancelAt!).toFixed(1)} ms`);
    await until(() => records().some((c) => c.routedTo === '+12125550487' && c.endedAt !== null));
    expect(records().find((c) => c.routedTo === '+12125550487')).toMatchObject({ direction: 'outbound', trunk: 'provider', result: 487, answeredAt: null });
  }, 30_000);

  test('hold in an answered call: the re-INVITE reaches the far end, the provider\'s 407 answered with the trunk account, its 200 back; the caller hangs up', async () => {
    const world = await outsideWorld('uas-answer-reinvite.xml');
    const before = provider.log().length;
    const r = await call('912125550200', 'uac-auth-reinvite.xml');
    const trace = await sippMessages(r);
    expect(r.code).toBe(0);
    // One challenge reached the phone: ours, to its first INVITE. The provider's went to us, twice.
    expect(trace.match(/SIP\/2\.0 407 /g)).toHaveLength(1);
    const far = await world.done;
    expect(far.code).toBe(0);
    const farTrace = await sippMessages(far);
    expect(farTrace).toMatch(/a=sendonly/);
    expect(farTrace).toMatch(/^BYE /m);
    const log = provider.log().slice(before);
    expect(log).toContain('provider: re-INVITE challenged');
    expect(log).toContain('provider: re-INVITE authenticated');
    await until(() => records().some((c) => c.routedTo === '+12125550200' && c.endedAt !== null));
    expect(records().find((c) => c.routedTo === '+12125550200')).toMatchObject({ direction: 'outbound', trunk: 'provider', result: 200 });
  }, 30_000);

  test('the far end hangs up after the hold: its BYE comes back through the provider and us to the phone', async () => {
    const world = await outsideWorld('uas-answer-reinvite-hangup.xml');
    const r = await call('912125550201', 'uac-auth-reinvite-wait-bye.xml');
    expect(r.code).toBe(0);
    expect(await sippMessages(r)).toMatch(/^BYE /m);
    expect((await world.done).code).toBe(0);
    await until(() => records().some((c) => c.routedTo === '+12125550201' && c.endedAt !== null));
    const rec = records().find((c) => c.routedTo === '+12125550201')!;
    expect(rec).toMatchObject({ direction: 'outbound', trunk: 'provider', result: 200 });
    expect(rec.answeredAt).not.toBeNull();
  }, 30_000);
});
