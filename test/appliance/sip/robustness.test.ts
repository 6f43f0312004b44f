import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { parseViaValue } from '../../../appliance/sip/message/via.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';

/**
 * Messages that once took a connection control section down (sipp under overload sends
 * `Via: ...:0` and `Contact: ...:0` when it reuses sockets): they are answered or dropped, and
 * the appliance keeps serving.
 */
const HOST = '127.0.13.1';
const SENDER = '127.0.13.20';
let ap: TestAppliance;
let sock: dgram.Socket;
const inbox: string[] = [];

const options = (branch: string) => Buffer.from(`OPTIONS sip:${HOST} SIP/2.0\r\nVia: SIP/2.0/UDP ${SENDER}:${sock.address().port};branch=z9hG4bK-${branch}\r\n` +
  `From: <sip:probe@office.lan>;tag=1\r\nTo: <sip:${HOST}>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);

describe('hostile or broken datagrams', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${SENDER}/32"]` });
    ap.addExtension('801', 'Lima-Pass-801');
    sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, SENDER, () => r()));
    sock.on('message', (m) => inbox.push(m.toString('latin1')));
  });
  afterAll(async () => {
    sock.close();
    await ap.stop();
  });

  test('a Via with port 0 is not a place to answer (RFC 3261 §18.2.2 needs a port)', () => {
    expect(parseViaValue('SIP/2.0/UDP 127.0.0.20:0;branch=z9hG4bK-x')).toBeUndefined();
    expect(parseViaValue('SIP/2.0/UDP 127.0.0.20:65536;branch=z9hG4bK-x')).toBeUndefined();
  });

  test('INVITE and REGISTER with port 0 in Via and Contact: the worker survives and still answers', async () => {
    const bad = [
      `INVITE sip:801@office.lan SIP/2.0\r\nVia: SIP/2.0/UDP ${SENDER}:0;branch=z9hG4bK-p0a\r\nFrom: <sip:gw@${SENDER}:0>;tag=a\r\nTo: <sip:801@office.lan>\r\nCall-ID: p0a\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@${SENDER}:0>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      `REGISTER sip:${HOST} SIP/2.0\r\nVia: SIP/2.0/UDP ${SENDER}:${sock.address().port};branch=z9hG4bK-p0b\r\nFrom: <sip:801@office.lan>;tag=b\r\nTo: <sip:801@office.lan>\r\nCall-ID: p0b\r\nCSeq: 1 REGISTER\r\nContact: <sip:801@${SENDER}:0>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    ];
    for (const m of bad) sock.send(Buffer.from(m), ap.port, HOST);
    await Bun.sleep(150);
    // The REGISTER with a Contact on port 0 is refused (the URI is not one we could reach).
    expect(inbox.some((m) => m.startsWith('SIP/2.0 4') && m.includes('Call-ID: p0b'))).toBe(true);
    inbox.length = 0;
    sock.send(options('after-port-0'), ap.port, HOST);
    await Bun.sleep(150);
    expect(inbox.some((m) => m.startsWith('SIP/2.0 200 OK'))).toBe(true);
  });
});
