import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, SCENARIOS, sippMessages, startSipp } from '../../support/sipp.ts';
import { headerLines, SipTlsPhone } from '../../support/sip-tls-phone.ts';
import { ApiClient } from '../web/support/web-fixture.ts';
import { PeerPair, PHONE_PASSWORD, waitFor } from './support/peer-pair.ts';
import { callIdOf, isRequest, tagOf } from '../../support/sip-text.ts';

/**
 * Issue 19: a hang-up from the flow holder's UI of a call it only carries (transit: placed on A,
 * through B's TCP connection to a phone registered on B; the record is A's). The admin of B
 * sees the call on B's Calls page and hangs it up there (`POST /api/calls/:id/hangup`, the
 * page's session and CSRF token): B sends a BYE to each side as the other side's UAC (RFC 3261
 * §15.1.1): to the phone over its connection, to the caller along the route set, through A,
 * which relays it and ends its record. The caller is sipp on A (UDP, a trusted gateway); the
 * phone a hand-driven TCP client that listens nowhere (sipp's TCP mode cannot register and
 * answer on one connection). A (127.0.233.1, one worker), B (127.0.233.2, two workers: the
 * connection is one worker's). Loopback 127.0.233.0/24 only.
 */
const A = '127.0.233.1';
const B = '127.0.233.2';
const CALLER = '127.0.233.10';
const PHONE = '127.0.233.21';
const EXT = '831';
const hasSipp = requireTool('sipp');

let pair: PeerPair;
let phone: SipTlsPhone;
let domain: string;

/** B's admin, logged in as the browser is (session cookie, CSRF token from the setup's answer). */
async function adminOfB(): Promise<ApiClient> {
  const b = pair.b.control!;
  const api = new ApiClient(`http://${B}:${b.webPort}`);
  expect((await api.json('POST', '/api/setup', { token: b.webSetupToken, password: 'Transit-Hangup-Admin-1' })).status).toBe(201);
  expect(api.csrf).not.toBe('');
  return api;
}

describe.skipIf(!hasSipp)('hang-up from the holder of a call through its flow', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: [A, B], workers: [1, 2], extensions: [[EXT], [EXT]], trusted: [CALLER], transports: ['udp', 'tcp'] });
    domain = pair.a.config.sip.domain;
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    phone = await SipTlsPhone.openTcp(PHONE, B, pair.b.sipPort);
    expect(await phone.register(EXT, PHONE_PASSWORD, domain, `sip:${EXT}@${phone.hostPort};transport=tcp`)).toBe(200);
    const held = () => a.store.registrations.loadActive().some((x) => x.aor === `sip:${EXT}@${domain}` && x.heldBy?.member === 'b');
    expect(await waitFor(held, 5000)).toBeGreaterThanOrEqual(0);
  }, 60_000);

  afterAll(async () => {
    phone?.close();
    await pair?.stop();
  });

  test("B's admin hangs up A's call to B's phone: BYE to both phones, both calls views and A's record end", async () => {
    const api = await adminOfB();
    const callerPort = await freePort(CALLER);
    const uac = startSipp(['-sf', `${SCENARIOS}/uac-await-bye.xml`, '-s', EXT, `${A}:${pair.a.sipPort}`, '-i', CALLER, '-p', String(callerPort), '-m', '1'], 25);
    const invite = await phone.waitFor(isRequest('INVITE'), 8000);
    expect(invite).toBeDefined();
    const callId = callIdOf(invite!)!;
    phone.respond(invite!, 200, 'OK', [`Contact: <sip:${EXT}@${phone.hostPort};transport=tcp>`]);
    expect(await phone.waitFor(isRequest('ACK', callId), 5000)).toBeDefined();

    // The call is A's (its record); B's Calls page shows it all the same, and A's.
    expect(await waitFor(() => pair.a.control!.store.callRecords.byCallId(callId) !== undefined, 5000)).toBeGreaterThanOrEqual(0);
    const onB = async () => ((await api.json('GET', '/api/calls')).body.active as { callId: string }[]).some((c) => c.callId === callId);
    expect(await waitFor(onB, 5000)).toBeGreaterThanOrEqual(0);
    expect(pair.b.control!.store.callRecords.byCallId(callId)).toBeUndefined();
    expect(pair.a.control!.calls.list().some((c) => c.callId === callId)).toBe(true);

    // The phone answers the BYE it gets over its connection (its only way in).
    const phoneBye = phone.waitFor(isRequest('BYE', callId), 8000).then((bye) => {
      if (bye) phone.respond(bye, 200, 'OK');
      return bye;
    });
    const t0 = performance.now();
    const res = await api.json('POST', `/api/calls/${encodeURIComponent(callId)}/hangup`);
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.body.dialogs).toHaveLength(1);
    expect(res.body.dialogs[0].caller.status).toBe(200);
    expect(res.body.dialogs[0].callee.status).toBe(200);
    console.log(`transit hang-up from B: both BYEs answered ${ms.toFixed(1)} ms after the API request`);

    // The phone's BYE: the caller's side of the dialog as the phone knows it.
    const bye = await phoneBye;
    expect(bye).toBeDefined();
    expect(bye!.split('\r\n')[0]).toBe(`BYE sip:${EXT}@${phone.hostPort};transport=tcp SIP/2.0`);
    expect(tagOf(headerLines(bye!, 'To')[0])).toBe(tagOf(headerLines(invite!, 'To')[0]) ?? 'tlsphone');
    expect(tagOf(headerLines(bye!, 'From')[0])).toBe(tagOf(headerLines(invite!, 'From')[0]));
    // The caller's BYE, as sipp received it: through A (A's Via under B's), its Contact.
    const done = await uac.done;
    expect(done.code).toBe(0);
    const trace = await sippMessages(done);
    const toCaller = trace.split(/-{5,}[^\n]*\n/).map((x) => x.replace(/^[^\n]*\n/, '').trim()).find((x) => x.startsWith('BYE '));
    expect(toCaller).toBeDefined();
    expect(toCaller!.split(/\r?\n/)[0]).toBe(`BYE sip:caller@${CALLER}:${callerPort} SIP/2.0`);
    const vias = toCaller!.split(/\r?\n/).filter((l) => /^Via:/i.test(l));
    expect(vias[0]).toContain(`${A}:`);
    expect(vias[1]).toContain(`${B}:`);
    expect(callIdOf(toCaller!.replace(/\r?\n/g, '\r\n'))).toBe(callId);

    // Ended everywhere: B's view (by its admin), A's view and A's record (the BYE it relayed).
    expect(pair.b.control!.calls.list().some((c) => c.callId === callId)).toBe(false);
    expect(await waitFor(() => !pair.a.control!.calls.list().some((c) => c.callId === callId), 5000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(() => !!pair.a.control!.store.callRecords.byCallId(callId)?.endedAt, 5000)).toBeGreaterThanOrEqual(0);
    expect(pair.a.control!.store.callRecords.byCallId(callId)!.reason).toBe('BYE');
    expect(pair.b.control!.store.callRecords.byCallId(callId)).toBeUndefined();
  }, 40_000);
});
