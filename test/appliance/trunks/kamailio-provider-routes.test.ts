import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createSocket, type Socket } from 'node:dgram';
import { digestAnswer } from '../../../appliance/trunks/digest-answer.ts';
import { parseChallenges } from '../../../appliance/trunks/register-response.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * The test provider's call routes, for the outbound/inbound tests that build on it: a call
 * from the trunk for a number is challenged (407) and, answered, reaches "the outside world"
 * (127.0.180.3); a call from the outside world to the trunk's number reaches the contact the
 * appliance registered. Raw UDP peers, so every message is visible.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined;
const PROVIDER = '127.0.180.2';
const OUTSIDE = '127.0.180.3';
const USER = '5551230000';
const PASSWORD = 'Trunk-Pass-Routes-1';

function invite(ruri: string, from: string, via: string, callId: string, extra: string[] = []): string {
  return [`INVITE ${ruri} SIP/2.0`, `Via: SIP/2.0/UDP ${via};branch=z9hG4bK-${callId}-${extra.length}`, 'Max-Forwards: 70', `From: <${from}>;tag=t-${callId}`,
    `To: <${ruri}>`, `Call-ID: ${callId}`, `CSeq: ${1 + extra.length} INVITE`, `Contact: <sip:caller@${via}>`, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
}
const ack = (msg: string, ruri: string, via: string) => {
  const h = (n: string) => new RegExp(`^${n}:\\s*(.*)$`, 'mi').exec(msg)![1];
  return [`ACK ${ruri} SIP/2.0`, `Via: ${h('Via').split(',')[0]}`, 'Max-Forwards: 70', `From: ${h('From')}`, `To: ${h('To')}`, `Call-ID: ${h('Call-ID')}`,
    `CSeq: ${h('CSeq').split(' ')[0]} ACK`, 'Content-Length: 0', '', ''].join('\r\n');
};

async function udp(address: string, port = 0): Promise<{ sock: Socket; port: number; got: string[]; next(re: RegExp, ms?: number): Promise<string | undefined> }> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => sock.bind(port, address, r));
  return {
    sock, port: sock.address().port, got,
    async next(re, ms = 5000) {
      const until = Date.now() + ms;
      for (;;) {
        const i = got.findIndex((m) => re.test(m));
        if (i >= 0) return got.splice(i, 1)[0];
        if (Date.now() > until) return undefined;
        await Bun.sleep(20);
      }
    },
  };
}

describe.skipIf(!HAVE)('the Kamailio test provider routes calls', () => {
  let provider: KamailioProvider;
  let app: TestAppliance;
  let outside: Awaited<ReturnType<typeof udp>>;
  beforeAll(async () => {
    outside = await udp(OUTSIDE, 5060);
    provider = await startKamailioProvider({ address: PROVIDER, port: 5068, domain: 'provider.example', username: USER, password: PASSWORD, outside: `${OUTSIDE}:5060` });
    app = await startTestAppliance('127.0.180.1', {
      sip: `transports = ["udp"]\n[[trunks]]\nname = "provider"\nregistrar = "${PROVIDER}:5068"\nusername = "${USER}"\ndomain = "provider.example"\npassword = "${PASSWORD}"\n[emergency]\ntrunk = "provider"\n`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
    outside?.sock.close();
  });

  test('outbound: the trunk\'s INVITE for a number gets 407; answered, it reaches the outside world', async () => {
    const trunk = await udp('127.0.180.1');
    try {
      const via = `127.0.180.1:${trunk.port}`;
      const ruri = 'sip:+15557654321@provider.example';
      trunk.sock.send(invite(ruri, `sip:${USER}@provider.example`, via, 'out-1'), 5068, PROVIDER);
      const challenge = await trunk.next(/^SIP\/2.0 407/);
      expect(challenge).toBeDefined();
      trunk.sock.send(ack(challenge!, ruri, via), 5068, PROVIDER);
      const [c] = parseChallenges(challenge!, 407);
      const auth = digestAnswer(c, { authUsername: USER, password: PASSWORD }, 'INVITE', ruri, 'cn1');
      trunk.sock.send(invite(ruri, `sip:${USER}@provider.example`, via, 'out-1', [`Proxy-Authorization: ${auth}`]), 5068, PROVIDER);
      const arrived = await outside.next(/^INVITE sip:\+15557654321@provider\.example SIP\/2\.0/);
      expect(arrived).toBeDefined();
      expect(arrived).not.toMatch(/^Proxy-Authorization:/mi);
      expect(await provider.waitForLog(/provider: outbound \+15557654321 from sip:5551230000@provider.example/, 2000)).toBe(true);
    } finally {
      trunk.sock.close();
    }
  });

  test('inbound: the outside world\'s INVITE to the trunk number reaches the appliance\'s registered contact', async () => {
    const until = Date.now() + 8000;
    while (app.app.trunks!.list()[0].state !== 'up' && Date.now() < until) await Bun.sleep(50);
    expect(app.app.trunks!.list()[0].state).toBe('up');
    const before = app.app.sip.service.counters.snapshot().requests.INVITE ?? 0;
    outside.sock.send(invite(`sip:${USER}@provider.example`, 'sip:+15550001111@outside.example', `${OUTSIDE}:5060`, 'in-1'), 5068, PROVIDER);
    // Looked up in the provider's location: the Request-URI is now the contact we registered.
    expect(await provider.waitForLog(new RegExp(`provider: inbound to sip:${USER}@127\\.0\\.180\\.1:${app.port}`), 3000)).toBe(true);
    // The appliance got it (inbound routing is the next part: today it answers with an error, relayed back).
    const final = await outside.next(/^SIP\/2\.0 [3-6]\d\d/);
    expect(final).toBeDefined();
    expect(final).not.toMatch(/^SIP\/2\.0 480 Trunk not registered/);
    expect((app.app.sip.service.counters.snapshot().requests.INVITE ?? 0) - before).toBeGreaterThanOrEqual(1);
  });
});
