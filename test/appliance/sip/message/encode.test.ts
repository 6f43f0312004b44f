import { describe, expect, test } from 'bun:test';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { encodeMessage } from '../../../../appliance/sip/message/encode.ts';
import type { SipRequest } from '../../../../appliance/sip/message/types.ts';

const INVITE = [
  'INVITE sip:304@127.0.150.62:5060;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.150.60:5060;branch=z9hG4bK-a-0',
  'From: <sip:303@office.lan>;tag=a', 'To: <sip:304@office.lan>', 'Call-ID: e1', 'CSeq: 1 INVITE', 'Max-Forwards: 69',
];

function decodedRequest(text: string): SipRequest {
  const d = decodeMessage(Buffer.from(text, 'latin1'));
  if (d.kind !== 'request') throw new Error(`not a request: ${d.kind}`);
  return d.msg;
}

describe('encoding Record-Route (RFC 3261 §7.3.1, §16.6 step 4)', () => {
  test('several entries: one header line each, in order, decoding to the same route set', () => {
    const req = decodedRequest(`${INVITE.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    const ours = ['sip:127.0.150.60:5060;lr;dlg=0cfba1e98a9b133073e6', 'sip:127.0.150.60:5061;transport=tls;lr;dlg=0cfba1e98a9b133073e6'];
    req.headers['record-route'] = [...ours.map((uri) => ({ uri, params: {} })), { name: '"edge"', uri: 'sip:edge.example.com;lr', params: { x: 'y', flag: null } }];
    const text = encodeMessage(req).toString('latin1');
    const lines = text.split('\r\n').filter((l) => /^record-route:/i.test(l));
    expect(lines).toEqual([
      `Record-Route: <${ours[0]}>`,
      `Record-Route: <${ours[1]}>`,
      'Record-Route: "edge" <sip:edge.example.com;lr>;x=y;flag',
    ]);
    const back = decodedRequest(text).headers['record-route']!;
    expect(back.map((e) => e.uri)).toEqual([...ours, 'sip:edge.example.com;lr']);
    expect(text).toContain('\r\nContent-Length: 0\r\n');
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });

  test('one entry: written as before', () => {
    const req = decodedRequest(`${INVITE.join('\r\n')}\r\nRecord-Route: <sip:127.0.150.60;lr>\r\nContent-Length: 0\r\n\r\n`);
    const lines = encodeMessage(req).toString('latin1').split('\r\n').filter((l) => /^record-route:/i.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('<sip:127.0.150.60;lr>');
  });
});
