import { expect, test } from 'bun:test';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { tooLargeReply } from '../../../../appliance/sip/transport/too-large-reply.ts';

/** 513 Message Too Large (RFC 3261 §21.5.11) built from a refused request's headers alone. */
const head = (method: string, extra = '') => Buffer.from(`${method} sip:201@office.lan SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.40.9:5099;branch=z9hG4bK-big\r\n` +
  `From: <sip:202@office.lan>;tag=f1\r\nTo: <sip:201@office.lan>\r\nCall-ID: big-1\r\nCSeq: 7 ${method}\r\nMax-Forwards: 70\r\n${extra}Content-Length: 900000`, 'latin1');

test('a request: 513 with its Via, From, To (tagged), Call-ID and CSeq', () => {
  const wire = tooLargeReply(head('MESSAGE'))!;
  const d = decodeMessage(wire, true);
  expect(d.kind).toBe('response');
  if (d.kind !== 'response') return;
  expect(d.msg.status).toBe(513);
  expect(d.msg.reason).toBe('Message Too Large');
  expect(d.msg.headers['call-id']).toBe('big-1');
  expect(d.msg.headers.cseq).toEqual({ seq: 7, method: 'MESSAGE' });
  expect(d.msg.headers.via[0].params.branch).toBe('z9hG4bK-big');
  expect(d.msg.headers.from.params.tag).toBe('f1');
  expect(d.msg.headers.to.params.tag).toMatch(/^[0-9a-f]{12}$/);
  expect(wire.toString('latin1')).toMatch(/\r\nContent-Length: 0\r\n\r\n$/i);
});

test('a request with a broken header still gets its 513 (the size is what is refused)', () => {
  expect(decodeMessage(tooLargeReply(head('INVITE', 'Bad Header Line\r\n'))!, true)).toMatchObject({ kind: 'response', msg: { status: 513 } });
});

test('nothing to answer: an ACK, a response, a request without a Via, junk', () => {
  expect(tooLargeReply(head('ACK'))).toBeUndefined();
  expect(tooLargeReply(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.40.9;branch=z9hG4bK-r\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 99999'))).toBeUndefined();
  expect(tooLargeReply(Buffer.from('INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 99999'))).toBeUndefined();
  expect(tooLargeReply(Buffer.from('\u0000\u0001garbage'))).toBeUndefined();
});
