import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { peekRequest } from '../../../../appliance/sip/transport/datagram-peek.ts';
import { SHARED } from '../../../support/sipp.ts';

/**
 * The receive path's scan of a datagram (hot-flow spreading decides on it before decoding)
 * against the decoder, over the RFC 4475 / RFC 5118 torture corpus read in place: where the
 * scan reads a request at all, it reads what the decoder reads (method, Call-ID, To tag); it
 * never reads a response as a request.
 */
const ROOT = join(SHARED, 'testdata/sip-torture');
const corpus = ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) =>
  readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.dat')).map((f) => [`${dir}/${f}`, readFileSync(join(ROOT, dir, f))] as const));

describe('peekRequest over the torture corpus', () => {
  for (const [name, data] of corpus) {
    test(name, () => {
      const peek = peekRequest(data);
      const d = decodeMessage(data);
      if (d.kind !== 'request') {
        if (d.kind === 'response') expect(peek).toBeUndefined();
        return; // rejected or dropped by the decoder: the scan's reading does not matter (it only routes)
      }
      if (!peek) return;
      expect(peek.method).toBe(d.msg.method);
      expect(peek.callId).toBe(String(d.msg.headers['call-id']).trim());
      expect(peek.inDialog).toBe(!!d.msg.headers.to.params.tag);
    });
  }
  test('the well-formed requests of the corpus are all read', () => {
    const read = corpus.filter(([, data]) => decodeMessage(data).kind === 'request' && peekRequest(data)).length;
    const requests = corpus.filter(([, data]) => decodeMessage(data).kind === 'request').length;
    expect(requests).toBeGreaterThan(10);
    expect(read / requests).toBeGreaterThan(0.9);
  });
});

describe('peekRequest', () => {
  const msg = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const rows: [string, Buffer, ReturnType<typeof peekRequest>][] = [
    ['INVITE outside a dialog', msg(['INVITE sip:201@office.lan SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1', 'To: <sip:201@office.lan>', 'From: <sip:200@office.lan>;tag=a', 'Call-ID: abc@10.0.0.5', 'CSeq: 1 INVITE']),
      { method: 'INVITE', callId: 'abc@10.0.0.5', inDialog: false }],
    ['BYE inside a dialog, compact forms (RFC 3261 §7.3.3)', msg(['BYE sip:201@10.0.0.6 SIP/2.0', 'v: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK2', 't: <sip:201@office.lan> ; TAG = x9', 'f: <sip:200@office.lan>;tag=a', 'i: c2', 'CSeq: 2 BYE']),
      { method: 'BYE', callId: 'c2', inDialog: true }],
    ['header names in another case', msg(['REGISTER sip:office.lan SIP/2.0', 'CALL-ID: r1 ', 'TO: <sip:200@office.lan>']), { method: 'REGISTER', callId: 'r1', inDialog: false }],
    ['a response', msg(['SIP/2.0 200 OK', 'Call-ID: x', 'To: <sip:a@b>;tag=1']), undefined],
    ['no Call-ID', msg(['INVITE sip:a@b SIP/2.0', 'To: <sip:a@b>']), undefined],
    ['no To', msg(['INVITE sip:a@b SIP/2.0', 'Call-ID: x']), undefined],
    ['a method in lower case is not a method', msg(['invite sip:a@b SIP/2.0', 'Call-ID: x', 'To: <sip:a@b>']), undefined],
    ['garbage', Buffer.from([0, 1, 2, 0xff, 0x20, 0x41]), undefined],
    ['empty', Buffer.alloc(0), undefined],
    ['a Call-ID in the body only does not count', Buffer.from('INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\nCall-ID: body\r\n', 'latin1'), undefined],
  ];
  for (const [name, data, expected] of rows) test(name, () => expect(peekRequest(data)).toEqual(expected));
});
