import { describe, expect, test } from 'bun:test';
import { buildBye, byesFor, nextHopOf, type ByeSpec } from '../../../../appliance/sip/hangup/build-bye.ts';
import type { DialogLeg, DialogLegs } from '../../../../appliance/sip/hangup/dialog-legs.ts';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { encodeMessage } from '../../../../appliance/sip/message/encode.ts';
import { ourVia } from '../../../../appliance/sip/proxy/forwarding.ts';

/** The BYE built from dialog state (RFC 3261 §12.2.1.1, §15.1.1), checked on its wire text. */
const leg = (route: string[], target = 'sip:202@10.0.0.9:5070;transport=udp'): DialogLeg => ({
  local: { uri: 'sip:201@office.lan', tag: 'caller-t' }, remote: { uri: 'sip:202@office.lan', tag: 'callee-t' },
  target, route: route.map((uri) => ({ uri, params: {} })), flow: { transport: 'udp', address: '10.0.0.9', port: 5070 },
});
const via = ourVia('udp', 'z9hG4bK-bye-1', { advertise: '192.0.2.1', port: 5060, viaPort: 5070 });

/** Encodes the BYE and decodes it again, as the phone would read it. */
function wire(spec: ByeSpec) {
  const bytes = encodeMessage(buildBye(spec, via));
  const d = decodeMessage(bytes);
  if (d.kind !== 'request') throw new Error(`not a request: ${bytes.toString()}`);
  return { msg: d.msg, text: bytes.toString('latin1') };
}

describe('buildBye', () => {
  const rows: { name: string; route: string[]; uri: string; routes: string[] }[] = [
    { name: 'no route beyond us: Request-URI is the remote target, no Route', route: [], uri: 'sip:202@10.0.0.9:5070;transport=udp', routes: [] },
    { name: 'loose routers: Route is the route set, Request-URI the remote target', route: ['sip:c1.example;lr', 'sip:c2.example;lr'], uri: 'sip:202@10.0.0.9:5070;transport=udp', routes: ['sip:c1.example;lr', 'sip:c2.example;lr'] },
    { name: 'a strict router first: it takes the Request-URI, the target goes last in Route', route: ['sip:strict.example', 'sip:c2.example;lr'], uri: 'sip:strict.example', routes: ['sip:c2.example;lr', 'sip:202@10.0.0.9:5070;transport=udp'] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const { msg } = wire({ callId: 'c1@x', leg: leg(r.route), cseq: 8 });
      expect(msg.uri).toBe(r.uri);
      expect((msg.headers.route ?? []).map((e) => String(e.uri))).toEqual(r.routes);
    });
  }

  test('dialog identifiers, CSeq, Max-Forwards and our Via', () => {
    const { msg, text } = wire({ callId: 'c1@x', leg: leg([]), cseq: 8 });
    expect(msg.method).toBe('BYE');
    expect(msg.headers.from).toMatchObject({ uri: 'sip:201@office.lan', params: { tag: 'caller-t' } });
    expect(msg.headers.to).toMatchObject({ uri: 'sip:202@office.lan', params: { tag: 'callee-t' } });
    expect(msg.headers['call-id']).toBe('c1@x');
    expect(msg.headers.cseq).toEqual({ seq: 8, method: 'BYE' });
    expect(msg.headers.via).toHaveLength(1);
    expect(msg.headers.via[0]).toMatchObject({ host: '192.0.2.1', port: 5070, params: { branch: 'z9hG4bK-bye-1' } });
    expect(text).toMatch(/\r\nMax-Forwards: 70\r\n/i);
    expect(text).toMatch(/\r\nContent-Length: 0\r\n\r\n$/i);
  });

  test('next hop: the first Route, else the flow the dialog was made over', () => {
    expect(nextHopOf(leg([]))).toEqual({ kind: 'flow' });
    expect(nextHopOf(leg(['sip:c1.example;lr']))).toEqual({ kind: 'uri', uri: 'sip:c1.example;lr' });
    expect(nextHopOf(leg(['sip:strict.example']))).toEqual({ kind: 'uri', uri: 'sip:strict.example' });
  });
});

describe('byesFor', () => {
  const legs: DialogLegs = { caller: leg([], 'sip:201@10.0.0.5:5062'), callee: leg([]) };
  const rows: [string, { caller: number; callee: number }, number, number][] = [
    ['after the INVITE alone: each BYE one above', { caller: 1, callee: 1 }, 2, 2],
    ['a re-INVITE moved the caller to 5: the callee gets 6', { caller: 5, callee: 1 }, 6, 2],
    ['the callee sent an UPDATE with 900: the caller gets 901', { caller: 1, callee: 900 }, 2, 901],
  ];
  for (const [name, seq, toCallee, toCaller] of rows) {
    test(name, () => {
      const b = byesFor('c1@x', legs, seq);
      expect(b.callee.cseq).toBe(toCallee);
      expect(b.caller.cseq).toBe(toCaller);
      expect(b.callee.leg).toBe(legs.callee);
      expect(b.caller.leg).toBe(legs.caller);
    });
  }
});
