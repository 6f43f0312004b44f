import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { byeSenderOf, sendBye } from '../../../../appliance/sip/hangup/bye-sender.ts';
import type { DialogLeg } from '../../../../appliance/sip/hangup/dialog-legs.ts';
import type { Destination } from '../../../../appliance/sip/transport/transport.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { SipUdpPeer } from '../../../support/sip-udp-peer.ts';

/**
 * One BYE of a hang-up from a real SIP service (in-process appliance on 127.1.38.30) in a real
 * client transaction: every outcome the control section reports (docs/API.md "Hang-up").
 */
const HOST = '127.1.38.30';
const PHONE = '127.1.38.31';

let ap: TestAppliance;
let phone: SipUdpPeer;

const leg = (flow: Destination, route: string[] = []): DialogLeg => ({
  local: { uri: 'sip:202@office.lan', tag: 'callee-t' }, remote: { uri: 'sip:201@office.lan', tag: 'caller-t' },
  target: `sip:201@${PHONE}:${phone.port}`, route: route.map((uri) => ({ uri, params: {} })), flow,
});

/** The phone answers the next BYE it gets with `status`. */
async function answerNextBye(status: string): Promise<string> {
  const bye = await phone.waitFor((m) => m.startsWith('BYE '), 3000);
  if (!bye) throw new Error('no BYE reached the phone');
  const keep = bye.split('\r\n').filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
  const [via] = keep.filter((l) => /^via:/i.test(l));
  const m = /SIP\/2\.0\/UDP ([^;:\s]+):(\d+)/.exec(via)!;
  phone.send([`SIP/2.0 ${status}`, ...keep, 'Content-Length: 0', '', ''].join('\r\n'), Number(m[2]), m[1]);
  phone.inbox.splice(phone.inbox.indexOf(bye), 1);
  return bye;
}

describe('sendBye', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST);
    phone = await SipUdpPeer.open(PHONE);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  const udp = () => ({ transport: 'udp', address: PHONE, port: phone.port, fromShared: true }) as Destination;
  const rows: [string, string, number, string][] = [
    ['200: hung up', '200 OK', 200, 'OK'],
    ['481: the phone had lost the dialog', '481 Call/Transaction Does Not Exist', 481, 'Call/Transaction Does Not Exist'],
    ['a challenge is a final answer too (the call ends all the same)', '407 Proxy Authentication Required', 407, 'Proxy Authentication Required'],
  ];
  for (const [name, answer, status, reason] of rows) {
    test(name, async () => {
      const outcome = sendBye({ callId: 'c1@x', leg: leg(udp()), cseq: 5 }, byeSenderOf(ap.app.sip.service));
      const bye = await answerNextBye(answer);
      expect(bye).toStartWith(`BYE sip:201@${PHONE}:${phone.port} SIP/2.0\r\n`);
      expect(bye).toContain('\r\nCSeq: 5 BYE\r\n');
      expect(await outcome).toMatchObject({ status, reason });
    });
  }

  test('provisional answers are not the outcome', async () => {
    const outcome = sendBye({ callId: 'c2@x', leg: leg(udp()), cseq: 2 }, byeSenderOf(ap.app.sip.service));
    const bye = await phone.waitFor((m) => m.startsWith('BYE ') && m.includes('c2@x'), 3000);
    const keep = bye!.split('\r\n').filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
    const m = /SIP\/2\.0\/UDP ([^;:\s]+):(\d+)/.exec(keep[0])!;
    phone.send([`SIP/2.0 100 Trying`, ...keep, 'Content-Length: 0', '', ''].join('\r\n'), Number(m[2]), m[1]);
    phone.send([`SIP/2.0 200 OK`, ...keep, 'Content-Length: 0', '', ''].join('\r\n'), Number(m[2]), m[1]);
    expect((await outcome).status).toBe(200);
    phone.inbox.length = 0;
  });

  test('a flow that is gone (TCP behind NAT, no connection): 408 at once, no retransmission for 32 s', async () => {
    const flow: Destination = { transport: 'tcp', address: PHONE, port: 5099, connection: `${PHONE}:5099`, flowOnly: true };
    const t0 = performance.now();
    expect(await sendBye({ callId: 'c3@x', leg: leg(flow), cseq: 2 }, byeSenderOf(ap.app.sip.service))).toMatchObject({ status: 408 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test('a first Route that resolves nowhere: 503, nothing sent', async () => {
    const outcome = await sendBye({ callId: 'c4@x', leg: leg(udp(), ['sip:proxy.invalid;lr']), cseq: 2 }, byeSenderOf(ap.app.sip.service));
    expect(outcome).toMatchObject({ status: 503, reason: 'no way to sip:proxy.invalid;lr' });
    expect(phone.inbox.filter((m) => m.includes('c4@x'))).toEqual([]);
  });

  test('a first Route naming the phone: sent there, with the route set', async () => {
    const outcome = sendBye({ callId: 'c5@x', leg: leg({ transport: 'udp', address: '127.1.38.99', port: 9 }, [`sip:${PHONE}:${phone.port};lr`]), cseq: 2 }, byeSenderOf(ap.app.sip.service));
    const bye = await answerNextBye('200 OK');
    // The `sip` serialiser writes a name-addr after two spaces ("Route:  <...>").
    expect(bye).toMatch(new RegExp(`\r\nRoute:\\s+<sip:${PHONE.replaceAll('.', '\\.')}:${phone.port};lr>\r\n`));
    expect((await outcome).status).toBe(200);
  });
});
