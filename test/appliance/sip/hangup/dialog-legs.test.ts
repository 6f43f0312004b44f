import { describe, expect, test } from 'bun:test';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { SipRequest, SipResponse, Source } from '../../../../appliance/sip/message/types.ts';
import { dialogLegs, flowOf } from '../../../../appliance/sip/hangup/dialog-legs.ts';
import type { Destination } from '../../../../appliance/sip/transport/transport.ts';

/** The legs a hang-up needs, from real INVITE and 2xx texts (RFC 3261 §12.1, §16.6 step 4). */
const US = '192.0.2.1';
const isUs = (host: string, port: number | undefined) => host === US && [5060, 5061].includes(port ?? 5060);

function invite(extra: string[] = []): SipRequest {
  const d = decodeMessage(Buffer.from([
    `INVITE sip:202@office.lan SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport', 'Max-Forwards: 70',
    'From: "Reception" <sip:201@office.lan>;tag=caller-t', 'To: <sip:202@office.lan>', 'Call-ID: c1@x', 'CSeq: 7 INVITE',
    'Contact: <sip:201@10.0.0.5:5062;ob>', ...extra, 'Content-Length: 0', '', ''].join('\r\n')));
  if (d.kind !== 'request') throw new Error('bad fixture');
  return d.msg;
}
function answer(rr: string[], contact = 'Contact: <sip:202@10.0.0.9:5070;transport=udp>;expires=60'): SipResponse {
  const d = decodeMessage(Buffer.from([
    'SIP/2.0 200 OK', `Via: SIP/2.0/UDP ${US}:5070;branch=z9hG4bK2`, 'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport',
    'From: "Reception" <sip:201@office.lan>;tag=caller-t', 'To: <sip:202@office.lan>;tag=callee-t', 'Call-ID: c1@x', 'CSeq: 7 INVITE',
    ...(contact ? [contact] : []), ...rr.map((r) => `Record-Route: ${r}`), 'Content-Length: 0', '', ''].join('\r\n')));
  if (d.kind !== 'response') throw new Error('bad fixture');
  return d.msg;
}
const udpSource: Source = { transport: 'udp', address: '203.0.113.7', port: 40000, localPort: 5060 };
const calleeDest: Destination = { transport: 'udp', address: '10.0.0.9', port: 5070, fromShared: true };
const OURS = `<sip:${US}:5060;lr;dlg=0123456789abcdef0123>`;

describe('dialogLegs', () => {
  const rows: { name: string; rr: string[]; caller: string[]; callee: string[] }[] = [
    { name: 'only us: no route beyond us either way', rr: [OURS], caller: [], callee: [] },
    { name: 'RFC 5658 double entry: both of ours come off', rr: ['<sip:c1.example;lr>', OURS, `<sip:${US}:5061;transport=tls;lr;dlg=0123456789abcdef0123>`, '<sip:a1.example;lr>'], caller: ['sip:a1.example;lr'], callee: ['sip:c1.example;lr'] },
    { name: 'a proxy on the callee side (above us in the list): towards the callee', rr: ['<sip:p-callee.example;lr>', OURS], caller: [], callee: ['sip:p-callee.example;lr'] },
    { name: 'a proxy on the caller side (below us): towards the caller', rr: [OURS, '<sip:sbc.example:5080;lr>'], caller: ['sip:sbc.example:5080;lr'], callee: [] },
    {
      name: 'two on each side: the callee side reversed (nearest us first), the caller side in order',
      rr: ['<sip:c2.example;lr>', '<sip:c1.example;lr>', OURS, '<sip:a1.example;lr>', '<sip:a2.example;lr>'],
      caller: ['sip:a1.example;lr', 'sip:a2.example;lr'], callee: ['sip:c1.example;lr', 'sip:c2.example;lr'],
    },
    { name: 'no Record-Route of ours (not record-routed): every entry is the callee side', rr: ['<sip:c1.example;lr>'], caller: [], callee: ['sip:c1.example;lr'] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const inv = invite();
      const legs = dialogLegs(inv, inv, answer(r.rr), udpSource, calleeDest, isUs)!;
      expect(legs.caller.route.map((e) => e.uri)).toEqual(r.caller);
      expect(legs.callee.route.map((e) => e.uri)).toEqual(r.callee);
    });
  }

  test('each side: who the BYE is from and to, its remote target and flow', () => {
    const inv = invite();
    const legs = dialogLegs(inv, inv, answer([OURS]), udpSource, calleeDest, isUs)!;
    expect(legs.callee).toEqual({
      local: { uri: 'sip:201@office.lan', tag: 'caller-t' }, remote: { uri: 'sip:202@office.lan', tag: 'callee-t' },
      target: 'sip:202@10.0.0.9:5070;transport=udp', route: [], flow: calleeDest,
    });
    expect(legs.caller).toEqual({
      local: { uri: 'sip:202@office.lan', tag: 'callee-t' }, remote: { uri: 'sip:201@office.lan', tag: 'caller-t' },
      // Behind NAT: the source the INVITE came from, from the shared port (its pinhole), not the Contact's private address.
      target: 'sip:201@10.0.0.5:5062;ob', route: [], flow: { transport: 'udp', address: '203.0.113.7', port: 40000, fromShared: true },
    });
  });

  test('the callee leg speaks as the INVITE that reached the callee (a trunk may rewrite From)', () => {
    const inv = invite();
    const fwd: SipRequest = { ...inv, headers: { ...inv.headers, from: { uri: 'sip:+4930123@provider.example', params: { tag: 'caller-t' } } } };
    const legs = dialogLegs(inv, fwd, answer([OURS]), udpSource, calleeDest, isUs)!;
    expect(legs.callee.local).toEqual({ uri: 'sip:+4930123@provider.example', tag: 'caller-t' });
    expect(legs.caller.remote).toEqual({ uri: 'sip:201@office.lan', tag: 'caller-t' });
  });

  test('header parameters of a Record-Route entry are kept', () => {
    const inv = invite();
    const legs = dialogLegs(inv, inv, answer(['<sip:c1.example;lr>;x=1', OURS]), udpSource, calleeDest, isUs)!;
    expect(legs.callee.route).toEqual([{ uri: 'sip:c1.example;lr', params: { x: '1' } }]);
  });

  test('no Contact in the 2xx: no remote target, no legs', () => {
    const inv = invite();
    expect(dialogLegs(inv, inv, answer([OURS], ''), udpSource, calleeDest, isUs)).toBeUndefined();
  });
});

describe('flowOf', () => {
  const rows: [string, Source, string, Destination][] = [
    ['UDP: the source, from the shared port', udpSource, 'sip:201@10.0.0.5:5062', { transport: 'udp', address: '203.0.113.7', port: 40000, fromShared: true }],
    ['TCP: its connection, a new one to the Contact when gone', { transport: 'tcp', address: '10.0.0.5', port: 51000, localPort: 5060, connection: '10.0.0.5:51000' }, 'sip:201@10.0.0.5:5062;transport=tcp',
      { transport: 'tcp', address: '10.0.0.5', port: 5062, connection: '10.0.0.5:51000' }],
    ['TLS with a host name Contact: back to the source', { transport: 'tls', address: '10.0.0.5', port: 51001, localPort: 5061 }, 'sips:201@phone.lan',
      { transport: 'tls', address: '10.0.0.5', port: 51001, connection: 'tls:10.0.0.5:51001' }],
  ];
  for (const [name, source, contact, expected] of rows) test(name, () => expect(flowOf(source, contact)).toEqual(expected));
});
