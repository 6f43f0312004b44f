import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../appliance/sip/message/decode.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { SHARED } from '../../support/sipp.ts';

/**
 * The RFC 4475 / RFC 5118 torture messages sent over UDP to a running appliance whose domain
 * is example.com (the messages' domain): every request the decoder rejects gets that status on
 * the wire, every other request gets a final answer or is absorbed, responses are never
 * answered, and the appliance still answers OPTIONS afterwards. Nothing leaves loopback:
 * answers go to the sender's address (Via received), and no request is relayed (no trusted
 * sources, no credentials).
 */
const TORTURE = join(SHARED, 'testdata/sip-torture');
const HOST = '127.0.4.1';
const SENDER = '127.0.4.20';
const present = existsSync(TORTURE);
if (!present) console.warn(`skipping: torture corpus not found at ${TORTURE}`);

interface Case { name: string; bytes: Buffer; port: number; callId: string; branch: string }
const cases: Case[] = present
  ? ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) => readdirSync(join(TORTURE, dir)).filter((f) => !f.endsWith('.md')).map((f) => {
      const bytes = readFileSync(join(TORTURE, dir, f));
      const via = /\r\n(?:Via|v)\s*:\s*SIP\s*\/\s*2\.0\s*\/\s*\S+\s+(?:\[[^\]]*\]|[^\s;:,]+)(?::(\d+))?/i.exec(bytes.toString('latin1'));
      const callId = /\r\n(?:Call-ID|i)\s*:\s*(\S+)/i.exec(bytes.toString('latin1'))?.[1] ?? '';
      const branch = /branch=([^;,\s]+)/.exec(bytes.toString('latin1'))?.[1] ?? '';
      return { name: `${dir}/${f}`, bytes, port: via?.[1] ? Number(via[1]) : 5060, callId, branch };
    }))
  : [];

let ap: TestAppliance;
const sockets = new Map<number, dgram.Socket>();
const inbox: string[] = [];

describe.skipIf(!present)('torture messages on the wire', () => {
  beforeAll(async () => {
    // The appliance's domain is the corpus's, so requests reach the registrar and location stages.
    ap = await startTestAppliance(HOST, { domain: 'example.com' });
    for (const port of new Set(cases.map((c) => c.port))) {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, SENDER, () => resolve());
      });
      s.on('message', (m) => inbox.push(m.toString('latin1')));
      sockets.set(port, s);
    }
  });
  afterAll(async () => {
    for (const s of sockets.values()) s.close();
    await ap?.stop();
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    inbox.length = 0;
    const expected = decodeMessage(c.bytes);
    sockets.get(c.port)!.send(c.bytes, ap.port, HOST);
    await Bun.sleep(120);
    // Only answers to this message: INVITE transactions of earlier cases retransmit their finals.
    // Some corpus files reuse a branch and sent-by: then the answer is, rightly, the earlier
    // transaction's response again (RFC 3261 §17.2.3 matching), so match on Call-ID or branch.
    const mine = (m: string) => (c.callId && m.includes(c.callId)) || (c.branch && new RegExp(`branch=${c.branch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[;,\\r\\n])`).test(m));
    const finals = inbox.filter((m) => /^SIP\/2\.0 [2-6]\d\d /.test(m) && mine(m));
    if (expected.kind === 'bad-request') {
      expect(finals[0]?.slice(0, 11)).toBe(`SIP/2.0 ${expected.status}`);
    } else if (expected.kind === 'request' && expected.msg.method !== 'ACK') {
      expect(finals.length).toBeGreaterThanOrEqual(1);
    } else {
      expect(finals).toHaveLength(0);
    }
  });

  test('the appliance still answers after the whole corpus', async () => {
    inbox.length = 0;
    const options = `OPTIONS sip:${HOST}:${ap.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${SENDER}:5060;branch=z9hG4bK-after-torture\r\nFrom: <sip:probe@example.com>;tag=1\r\nTo: <sip:${HOST}>\r\nCall-ID: after-torture\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    sockets.get(5060)!.send(Buffer.from(options), ap.port, HOST);
    await Bun.sleep(150);
    expect(inbox.some((m) => m.startsWith('SIP/2.0 200 OK'))).toBe(true);
  });
});
