import { describe, expect, test } from 'bun:test';
import { dialogEventOf } from '../../../appliance/sip/dialog-events.ts';
import { decodeMessage } from '../../../appliance/sip/message/decode.ts';
import type { SipRequest, SipResponse } from '../../../appliance/sip/message/types.ts';

/** Which dialog event a forwarded final response makes (calls view, issue 12 "cannot go stale"). */
function request(method: string, toTag?: string): SipRequest {
  const d = decodeMessage(Buffer.from([
    `${method} sip:202@127.0.0.1:5062 SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1', 'Max-Forwards: 70',
    'From: <sip:201@office.lan>;tag=caller', `To: <sip:202@office.lan>${toTag ? `;tag=${toTag}` : ''}`, 'Call-ID: c1@x',
    `CSeq: 1 ${method}`, 'Content-Length: 0', '', ''].join('\r\n')));
  if (d.kind !== 'request') throw new Error('bad fixture');
  return d.msg;
}
function response(status: number, method: string, extra: string[] = []): SipResponse {
  const d = decodeMessage(Buffer.from([
    `SIP/2.0 ${status} Reason`, 'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1', 'From: <sip:201@office.lan>;tag=caller',
    'To: <sip:202@office.lan>;tag=callee', 'Call-ID: c1@x', `CSeq: 1 ${method}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n')));
  if (d.kind !== 'response') throw new Error('bad fixture');
  return d.msg;
}

describe('dialogEventOf', () => {
  const rows: [string, SipRequest, SipResponse, object | undefined][] = [
    ['200 to an initial INVITE starts a call', request('INVITE'), response(200, 'INVITE'), { kind: 'start', tags: ['caller', 'callee'] }],
    ['with Session-Expires (RFC 4028)', request('INVITE'), response(200, 'INVITE', ['Session-Expires: 1800;refresher=uac']), { kind: 'start', sessionExpires: 1800 }],
    ['compact x: form', request('INVITE'), response(200, 'INVITE', ['x: 600']), { kind: 'start', sessionExpires: 600 }],
    ['180 with a To tag: an early dialog (RFC 4235 §3.7.1, busy lamps)', request('INVITE'), response(180, 'INVITE'), { kind: 'early', tags: ['caller', 'callee'] }],
    ['100 makes nothing', request('INVITE'), response(100, 'INVITE'), undefined],
    ['180 to a re-INVITE makes nothing', request('INVITE', 'callee'), response(180, 'INVITE'), undefined],
    ['486 to an initial INVITE: a failed call (call records)', request('INVITE'), response(486, 'INVITE'), { kind: 'failed', status: 486, reason: '486 Reason', tags: ['caller', ''] }],
    ['407 to an initial INVITE is a challenge, not a failure', request('INVITE'), response(407, 'INVITE'), undefined],
    ['401 likewise', request('INVITE'), response(401, 'INVITE'), undefined],
    ['486 to a re-INVITE makes nothing (the call goes on)', request('INVITE', 'callee'), response(486, 'INVITE'), undefined],
    ['200 to a re-INVITE refreshes', request('INVITE', 'callee'), response(200, 'INVITE', ['Session-Expires: 900']), { kind: 'refresh', sessionExpires: 900 }],
    ['200 to UPDATE refreshes', request('UPDATE', 'callee'), response(200, 'UPDATE'), { kind: 'refresh' }],
    ['200 to BYE ends', request('BYE', 'callee'), response(200, 'BYE'), { kind: 'end', reason: 'BYE' }],
    ['481 to BYE ends too (§15.1.2)', request('BYE', 'callee'), response(481, 'BYE'), { kind: 'end', reason: 'BYE answered 481' }],
    ['408 (timeout) to BYE ends too', request('BYE', 'callee'), response(408, 'BYE'), { kind: 'end', reason: 'BYE answered 408' }],
    ['200 to OPTIONS makes nothing', request('OPTIONS'), response(200, 'OPTIONS'), undefined],
  ];
  for (const [name, req, res, expected] of rows) {
    test(name, () => {
      const e = dialogEventOf(req, res, 1000);
      if (expected === undefined) expect(e).toBeUndefined();
      else expect(e).toMatchObject(expected);
    });
  }
  test('the INVITE time is carried when known', () => {
    expect(dialogEventOf(request('INVITE'), response(200, 'INVITE'), 5000, 1000)).toMatchObject({ kind: 'start', ts: 5000, invitedAt: 1000 });
  });
  test('Session-Expires below the 90 s minimum is not a session timer (RFC 4028 §4)', () => {
    expect(dialogEventOf(request('INVITE'), response(200, 'INVITE', ['Session-Expires: 30']))).not.toHaveProperty('sessionExpires');
  });
});
