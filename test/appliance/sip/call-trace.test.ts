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

  test('stamps come from the monotonic clock: a wall-clock step back during a call leaves its deltas right', async () => {
    const trace = new CallTrace();
    const wall = Date.now;
    try {
      trace.received(invite('step@x'), source);
      await Bun.sleep(20);
      Date.now = () => wall() - 3_600_000; // NTP steps the wall clock back an hour
      trace.received(invite('step@x'), source);
    } finally {
      Date.now = wall;
    }
    const [a, b] = trace.get('step@x').map((e) => e.ts);
    expect(b! - a!).toBeGreaterThanOrEqual(19);
    expect(b! - a!).toBeLessThan(3_600_000);
    expect(Math.abs(a! - Date.now())).toBeLessThan(60_000); // still ms since the epoch, for the ladder's clock
  });
});

describe('CallTrace: message text for the ladder', () => {
  const withAuth = (callId: string, pad = 0) => Buffer.from([
    'INVITE sip:202@office.lan SIP/2.0', 'Via: SIP/2.0/UDP 127.0.190.20:5061;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:201@office.lan>;tag=caller', 'To: <sip:202@office.lan>', `Call-ID: ${callId}`, 'CSeq: 2 INVITE',
    'Proxy-Authorization: Digest username="201", realm="office.lan", nonce="n0nce-abc", uri="sip:202@office.lan",',
    ' response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="c1", qop=auth, nc=00000001',
    `X-Pad: ${'p'.repeat(pad)}`, 'Content-Type: application/sdp', 'Content-Length: 10', '', 'v=0\r\no=x\r\n'].join('\r\n'));

  test('a received message is kept in full with its credentials masked (username and realm stay)', () => {
    const trace = new CallTrace();
    const bytes = withAuth('raw-1@x');
    const d = decodeMessage(bytes);
    if (d.kind !== 'request') throw new Error('bad fixture');
    trace.received(d.msg, source, bytes);
    const raw = trace.get('raw-1@x')[0]!.raw!;
    expect(raw).toStartWith('INVITE sip:202@office.lan SIP/2.0\r\n');
    expect(raw).toContain('Proxy-Authorization: Digest username="201", realm="office.lan", (credentials masked)');
    for (const secret of ['6629fae49393a05397450978507c4ef1', 'n0nce-abc', 'cnonce']) expect(raw).not.toContain(secret);
    expect(raw).toEndWith('\r\n\r\nv=0\r\no=x\r\n');
    // What the appliance sends is kept the same way.
    trace.sent({ transport: 'udp', address: '127.0.190.30', port: 5062 }, withAuth('raw-1@x'));
    expect(trace.get('raw-1@x')[1]!.raw).not.toContain('6629fae4');
  });

  test('the text is bounded: 8 KiB a message, 4 MiB in all; the oldest calls lose their text, never their labels', () => {
    let now = 0;
    const trace = new CallTrace(() => now);
    for (let i = 0; i < 1200; i++, now += 100) {
      const bytes = withAuth(`big-${i}@x`, 12_000);
      const d = decodeMessage(bytes);
      if (d.kind !== 'request') throw new Error('bad fixture');
      trace.received(d.msg, source, bytes);
    }
    expect(trace.rawSize).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(trace.get('big-1199@x')[0]!.raw!.length).toBeLessThanOrEqual(8 * 1024);
    expect(trace.get('big-0@x')[0]!.raw).toBeUndefined();
    expect(trace.get('big-0@x')[0]!.label).toBe('INVITE');
    expect(trace.size).toBe(1200);
  });
});
