import { describe, expect, test } from 'bun:test';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { SipRequest, SipResponse } from '../../../../appliance/sip/message/types.ts';
import { buildCancel } from '../../../../appliance/sip/proxy/forwarding.ts';
import { clientKey, clientKeyOfRequest, clientKeyOfResponse, serverKey } from '../../../../appliance/sip/transaction/transaction-keys.ts';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

function request(method: string, via: string, cseq = `1 ${method}`): SipRequest {
  const d = decodeMessage(crlf([
    `${method} sip:202@office.lan SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70', 'From: <sip:201@office.lan>;tag=a1',
    'To: <sip:202@office.lan>', 'Call-ID: k1@127.1.13.2', `CSeq: ${cseq}`, 'Content-Length: 0',
  ]));
  if (d.kind !== 'request') throw new Error(d.kind);
  return d.msg;
}

function response(status: number, via: string, cseq: string): SipResponse {
  const d = decodeMessage(crlf([
    `SIP/2.0 ${status} Whatever`, `Via: ${via}`, 'From: <sip:201@office.lan>;tag=a1',
    'To: <sip:202@office.lan>;tag=b2', 'Call-ID: k1@127.1.13.2', `CSeq: ${cseq}`, 'Content-Length: 0',
  ]));
  if (d.kind !== 'response') throw new Error(d.kind);
  return d.msg;
}

/** RFC 3261 §17.1.3 / §17.2.3: the keys transactions are matched by, each built in one place. */
describe('client transaction keys (§17.1.3: top Via branch + CSeq method)', () => {
  const ours = 'SIP/2.0/UDP 127.1.13.1:5070;branch=z9hG4bK.abc.0';
  const rows: [string, SipResponse, string][] = [
    ['a 180 to our INVITE (UDP, IPv4)', response(180, ours, '1 INVITE'), 'z9hG4bK.abc.0|INVITE'],
    ['the 200 to the CANCEL of that INVITE: another transaction', response(200, ours, '1 CANCEL'), 'z9hG4bK.abc.0|CANCEL'],
    ['over TCP with wport (IPv6 sent-by, brackets)', response(200, 'SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK.v6;wport=5071', '2 OPTIONS'), 'z9hG4bK.v6|OPTIONS'],
    ['over TLS', response(486, 'SIP/2.0/TLS 127.1.13.1:5061;branch=z9hG4bK.tls.1', '7 INVITE'), 'z9hG4bK.tls.1|INVITE'],
  ];
  for (const [name, res, key] of rows) test(`${name}: ${key}`, () => expect(clientKeyOfResponse(res)).toBe(key as never));

  test('a request we send and its response have the same key; its CANCEL has its own', () => {
    const invite = request('INVITE', ours);
    expect(clientKeyOfRequest(invite)).toBe(clientKey('z9hG4bK.abc.0', 'INVITE'));
    expect(clientKeyOfResponse(response(183, ours, '1 INVITE'))).toBe(clientKeyOfRequest(invite));
    expect(clientKeyOfRequest(buildCancel(invite))).toBe(clientKey('z9hG4bK.abc.0', 'CANCEL'));
  });
});

describe('server transaction keys (§17.2.3)', () => {
  const via = 'SIP/2.0/UDP 127.1.13.2:5062;branch=z9hG4bK-phone-1';
  test('branch, sent-by and method; the ACK to a non-2xx and the INVITE share one', () => {
    expect(serverKey(request('INVITE', via))).toBe('z9hG4bK-phone-1|127.1.13.2:5062|INVITE');
    expect(serverKey(request('ACK', via, '1 ACK'))).toBe(serverKey(request('INVITE', via)));
  });
  test('a CANCEL is its own transaction, and finds its INVITE by method', () => {
    const cancel = request('CANCEL', via, '1 CANCEL');
    expect(serverKey(cancel)).toBe('z9hG4bK-phone-1|127.1.13.2:5062|CANCEL');
    expect(serverKey(cancel, 'INVITE')).toBe(serverKey(request('INVITE', via)));
  });
  test('the same branch from another sent-by is another transaction', () => {
    expect(serverKey(request('INVITE', 'SIP/2.0/UDP 127.1.13.3:5062;branch=z9hG4bK-phone-1'))).not.toBe(serverKey(request('INVITE', via)));
  });
  test('IPv6 sent-by keeps its brackets', () => {
    expect(serverKey(request('OPTIONS', 'SIP/2.0/TCP [2001:db8::5]:5062;branch=z9hG4bK-v6'))).toBe('z9hG4bK-v6|[2001:db8::5]:5062|OPTIONS');
  });
  test('RFC 2543 (no magic cookie): Call-ID, CSeq number, From tag, sent-by, method', () => {
    expect(serverKey(request('INVITE', 'SIP/2.0/UDP 127.1.13.2;branch=old-style'))).toBe('2543|k1@127.1.13.2|1|a1|127.1.13.2:|INVITE');
  });
});
