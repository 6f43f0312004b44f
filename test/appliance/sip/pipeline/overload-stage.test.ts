import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { sipMessage, SipUdpPeer, statusOf } from '../../../support/sip-udp-peer.ts';

/**
 * The overload stage on the wire (issue 12): while a worker admits nothing new, a new INVITE or
 * REGISTER gets 503 + Retry-After statelessly (no transaction kept), but an emergency call, a
 * request inside a dialog and OPTIONS go on. 127.0.72.1 appliance, phones .10-.19.
 */
const HOST = '127.0.72.1';
let ap: TestAppliance;
let phone: SipUdpPeer;
let n = 0;

function request(method: string, user: string, opts: { toTag?: string; callId?: string; branch?: string } = {}): string {
  const callId = opts.callId ?? `ov-${++n}`;
  return sipMessage(`${method} sip:${user}@office.lan SIP/2.0`, [
    `Via: SIP/2.0/UDP ${phone.hostPort};rport;branch=${opts.branch ?? `z9hG4bK-ov-${n}`}`, 'Max-Forwards: 70',
    `From: <sip:201@office.lan>;tag=f${n}`, `To: <sip:${user}@office.lan>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`, `CSeq: 1 ${method}`, `Contact: <sip:201@${phone.hostPort}>`,
  ]);
}

async function answer(text: string): Promise<string | undefined> {
  const callId = /Call-ID: (\S+)/.exec(text)![1];
  phone.send(text, ap.port, HOST);
  return phone.waitFor((m) => m.includes(`Call-ID: ${callId}`) && statusOf(m)! >= 200, 1500);
}

beforeAll(async () => {
  ap = await startTestAppliance(HOST, { sip: '' });
  ap.addExtension('201', 'Kilo-Pass-201');
  ap.addExtension('202', 'Lima-Pass-202');
  phone = await SipUdpPeer.open('127.0.72.10');
  // Admit nothing new (the control section's rate path; the worker's own share works the same way).
  ap.app.sip.service.admission.set({ callsPerSecond: 0.0001, registersPerSecond: 0.0001, retryAfterSeconds: 9 });
  ap.app.sip.service.admission.admit('call');
  ap.app.sip.service.admission.admit('register');
});
afterAll(async () => {
  phone?.close();
  await ap?.stop();
});

describe('overload stage', () => {
  test('a new INVITE gets 503 with Retry-After, statelessly', async () => {
    const before = ap.app.sip.service.openTransactions;
    const r = await answer(request('INVITE', '202'));
    expect(statusOf(r)).toBe(503);
    expect(r).toMatch(/^Retry-After: 9\r$/m);
    expect(ap.app.sip.service.openTransactions).toBe(before);
  });
  test('a new REGISTER gets 503 too', async () => {
    expect(statusOf(await answer(request('REGISTER', '201')))).toBe(503);
  });
  test('an emergency call is never shed (it goes on to digest: 407)', async () => {
    expect(statusOf(await answer(request('INVITE', '911')))).toBe(407);
    expect(statusOf(await answer(request('INVITE', '112')))).toBe(407);
  });
  test('a request inside a dialog is never shed', async () => {
    const r = await answer(request('BYE', '202', { toTag: 'callee-1' }));
    expect(statusOf(r)).not.toBe(503);
  });
  test('OPTIONS is answered', async () => {
    expect(statusOf(await answer(request('OPTIONS', '202')))).not.toBe(503);
  });
});
