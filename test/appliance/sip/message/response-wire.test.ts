import { describe, expect, test } from 'bun:test';
import { removeTopVia } from '../../../../appliance/sip/message/response-wire.ts';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';

const wire = (lines: string[], body = '') => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
const OURS = 'SIP/2.0/UDP 127.0.150.60:5060;branch=z9hG4bK-ours-0';
const THEIRS = 'SIP/2.0/TLS 127.0.150.61:5061;received=127.0.0.1;branch=z9hG4bKtheirs;rport=40000';
const HEAD = ['From: <sip:303@office.lan>;tag=a', 'To: <sip:304@office.lan>;tag=b', 'Call-ID: c1', 'CSeq: 1 INVITE'];
const SDP = 'v=0\r\no=304 1 1 IN IP4 127.0.150.62\r\ns=-\r\nc=IN IP4 127.0.150.62\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** Frames the forwarded bytes the way a stream peer does: they must decode as one message. */
function decodedOnStream(bytes: Buffer) {
  const d = decodeMessage(bytes, true);
  if (d.kind !== 'response') throw new Error(`not a response: ${d.kind}`);
  return d.msg;
}

describe('forwarding a response as bytes minus the top Via (RFC 3261 §16.7 step 9)', () => {
  const cases: { name: string; lines: string[]; body: string; length: number }[] = [
    // linphonec over UDP: 180 Ringing without Content-Length (allowed on datagrams, §18.3).
    { name: 'no Content-Length, no body (two Via lines)', lines: ['SIP/2.0 180 Ringing', `Via: ${OURS}`, `Via: ${THEIRS}`, ...HEAD], body: '', length: 0 },
    { name: 'no Content-Length, an SDP body (one Via line, two values)', lines: ['SIP/2.0 200 Ok', `Via: ${OURS}, ${THEIRS}`, ...HEAD, 'Content-Type: application/sdp'], body: SDP, length: SDP.length },
    { name: 'Content-Length kept as it is', lines: ['SIP/2.0 200 OK', `Via: ${OURS}`, `Via: ${THEIRS}`, ...HEAD, `Content-Length: ${SDP.length}`], body: SDP, length: SDP.length },
    { name: 'compact l: kept, no second length added', lines: ['SIP/2.0 200 OK', `v: ${OURS}`, `v: ${THEIRS}`, ...HEAD, `l: ${SDP.length}`], body: SDP, length: SDP.length },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = removeTopVia(wire(c.lines, c.body))!;
      expect(out).toBeDefined();
      const text = out.toString('latin1');
      expect(text).not.toContain('z9hG4bK-ours-0');
      expect(text.match(/^(?:content-length|l)[ \t]*:/gim)).toHaveLength(1);
      const msg = decodedOnStream(out);
      expect(msg.headers.via).toHaveLength(1);
      expect(msg.headers.via[0].params.branch).toBe('z9hG4bKtheirs');
      expect(Number(text.match(/^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im)?.[1])).toBe(c.length);
      expect(msg.content ?? '').toBe(c.body);
      expect(text.endsWith(`\r\n\r\n${c.body}`)).toBe(true);
    });
  }
});
