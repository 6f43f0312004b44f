import { describe, expect, test } from 'bun:test';
import { CallTrace } from '../../../appliance/sip/call-trace.ts';
import { decodeMessage } from '../../../appliance/sip/message/decode.ts';
import type { SipRequest, Source } from '../../../appliance/sip/message/types.ts';

const source: Source = { transport: 'udp', address: '127.0.190.20', port: 5061, localPort: 5060 };

function invite(callId: string): SipRequest {
  const d = decodeMessage(Buffer.from([
    'INVITE sip:202@office.lan SIP/2.0', 'Via: SIP/2.0/UDP 127.0.190.20:5061;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:201@office.lan>;tag=caller', 'To: <sip:202@office.lan>', `Call-ID: ${callId}`,
    'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n')));
  if (d.kind !== 'request') throw new Error('bad fixture');
  return d.msg;
}

describe('CallTrace', () => {
  test('a flood of new calls in one second traces at most 50 of them (issue 12: memory after a burst)', () => {
    let now = 0;
    const trace = new CallTrace(() => now);
    for (let i = 0; i < 3000; i++) trace.received(invite(`flood-${i}@x`), source);
    expect(trace.size).toBe(50);
    expect(trace.get('flood-0@x').map((e) => e.label)).toEqual(['INVITE']);
    expect(trace.get('flood-2999@x')).toEqual([]);
    // A second later the next calls are traced again.
    now = 1000;
    for (let i = 0; i < 3000; i++) trace.received(invite(`later-${i}@x`), source);
    expect(trace.size).toBe(100);
  });

  test('calls at an office rate are all traced, with their retransmissions', () => {
    let now = 0;
    const trace = new CallTrace(() => now);
    for (let i = 0; i < 500; i++, now += 100) {
      trace.received(invite(`office-${i}@x`), source);
      trace.received(invite(`office-${i}@x`), source); // a retransmission takes no new place
    }
    expect(trace.size).toBe(500);
    expect(trace.get('office-499@x').map((e) => e.label)).toEqual(['INVITE', 'INVITE']);
  });
});
