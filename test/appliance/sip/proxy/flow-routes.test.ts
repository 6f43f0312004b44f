import { describe, expect, test } from 'bun:test';
import { bindingHop, tokenHop, type BindingHop, type FlowMembers, type TokenHop } from '../../../../appliance/sip/proxy/flow-routes.ts';
import type { BindingRecord } from '../../../../system/store/index.ts';
import type { FlowAddress } from '../../../../system/store/source-key.ts';

/** The two routing decisions of a phone a peer holds (issue 19, RFC 5626 §5.3), as tables. */
const NOW = 1_700_000_000_000;
const TOKEN = 'flow.dGNwOjE5Mi4xNjguMS4yMTo0MDAwMQ.0123456789abcdef0123';
const members: FlowMembers = {
  self: 'a',
  peers: new Map([['b', { address: '192.168.1.3', port: 5060 }], ['c', { address: 'fd00::3', port: 5070 }], ['d', { address: '192.168.1.4', port: 5060, tls: { address: '192.168.1.4', port: 5061 } }]]),
};

function binding(over: Partial<BindingRecord> = {}): BindingRecord {
  return {
    aor: 'sip:201@office.lan', contact: 'sip:201@192.168.1.21:5062;transport=tcp', expiresAt: NOW + 600_000, q: 1, callId: 'c1', cseq: 1,
    source: 'tcp:192.168.1.21:40001', transport: 'tcp', userAgent: 'Yealink', version: NOW, updatedAt: NOW, heldBy: { member: 'b', token: TOKEN }, ...over,
  };
}

describe('bindingHop: how A reaches a registered phone', () => {
  const rows: [string, BindingRecord, BindingHop][] = [
    ['a TCP phone B holds: to B, with a Route naming B and the flow', binding(),
      { kind: 'holder', member: 'b', route: `sip:${TOKEN}@192.168.1.3:5060;lr`, dest: { transport: 'udp', address: '192.168.1.3', port: 5060 } }],
    ['a TLS phone C holds (IPv6 peer): bracketed in the Route', binding({ source: 'tls:192.168.1.21:5061', transport: 'tls', heldBy: { member: 'c', token: TOKEN } }),
      { kind: 'holder', member: 'c', route: `sip:${TOKEN}@[fd00::3]:5070;lr`, dest: { transport: 'udp', address: 'fd00::3', port: 5070 } }],
    ['a TLS phone D holds, D\'s TLS address known (sip_tls): over TLS to it, a sips: Route (a sips: call may take it, RFC 5630)',
      binding({ source: 'tls:192.168.1.21:5061', transport: 'tls', heldBy: { member: 'd', token: TOKEN } }),
      { kind: 'holder', member: 'd', route: `sips:${TOKEN}@192.168.1.4:5061;lr`, dest: { transport: 'tls', address: '192.168.1.4', port: 5061 } }],
    ['a TCP phone D holds: over UDP to its SIP address, as before (the TLS address is for TLS phones)', binding({ heldBy: { member: 'd', token: TOKEN } }),
      { kind: 'holder', member: 'd', route: `sip:${TOKEN}@192.168.1.4:5060;lr`, dest: { transport: 'udp', address: '192.168.1.4', port: 5060 } }],
    ['a phone we hold ourselves: directly', binding({ heldBy: { member: 'a', token: TOKEN } }), { kind: 'direct' }],
    ['a binding from before migration 16 (no holder): directly, as before', binding({ heldBy: undefined }), { kind: 'direct' }],
    ['a holder that is not among our peers: directly', binding({ heldBy: { member: 'z', token: TOKEN } }), { kind: 'direct' }],
    ['a UDP binding with a holder (never written): directly', binding({ source: 'udp:192.168.1.21:5062', transport: 'udp' }), { kind: 'direct' }],
    ['an unreadable source: directly (binding-destination.ts decides)', binding({ source: 'junk' }), { kind: 'direct' }],
  ];
  for (const [name, b, hop] of rows) test(name, () => expect(bindingHop(b, members)).toEqual(hop));
});

describe('tokenHop: what B does with a Route carrying a flow token', () => {
  const flow: FlowAddress = { transport: 'tcp', address: '192.168.1.21', port: 40001 };
  const tlsFlow: FlowAddress = { transport: 'tls', address: '192.168.1.22', port: 5061 };
  const open = new Set(['192.168.1.21:40001', 'tls:192.168.1.22:5061']);
  const run = (token: string, fromPeer: boolean, named: FlowAddress | undefined, alive = open) =>
    tokenHop({ token, fromPeer, read: (t) => (t === token ? named : undefined), alive: (k) => alive.has(k) });
  const rows: [string, TokenHop, TokenHop][] = [
    ['from a peer, our token, the connection open: over it only', run(TOKEN, true, flow),
      { kind: 'send', dest: { transport: 'tcp', address: '192.168.1.21', port: 40001, connection: '192.168.1.21:40001', flowOnly: true } }],
    ['a TLS flow: its tls: connection key', run(TOKEN, true, tlsFlow),
      { kind: 'send', dest: { transport: 'tls', address: '192.168.1.22', port: 5061, connection: 'tls:192.168.1.22:5061', flowOnly: true } }],
    ['the connection is gone: 430 Flow Failed (RFC 5626 §5.3.1), not a forgery', run(TOKEN, true, flow, new Set()),
      { kind: 'refuse', status: 430, reason: 'Flow Failed', forged: false }],
    ['from a peer, a token we did not issue: 403', run(TOKEN, true, undefined), { kind: 'refuse', status: 403, reason: 'Invalid flow token', forged: true }],
    ['a token naming a UDP flow: 403', run(TOKEN, true, { transport: 'udp', address: '192.168.1.21', port: 5060 }), { kind: 'refuse', status: 403, reason: 'Invalid flow token', forged: true }],
    ['from a stranger, even with a valid token copied off the wire: 403', run(TOKEN, false, flow), { kind: 'refuse', status: 403, reason: 'Flow tokens are for peers', forged: true }],
  ];
  for (const [name, got, want] of rows) test(name, () => expect(got).toEqual(want));
});
