import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort } from '../../../support/sipp.ts';

/**
 * A response that reaches the shared UDP port but belongs to a sibling worker's transaction (a
 * phone answers the address a request came from, and requests to UDP phones leave from the
 * shared port) is handed to that sibling's Via port, known from `[sip] worker_port_base` alone:
 * a worker just spawned has not yet been told of its siblings, and before this the responses
 * it read for them were dropped (a call failed with 408 at every scale-out, CI stop 21).
 * Appliance 127.0.75.1, the sibling's own port on the same address, phone 127.0.75.10.
 */
const HOST = '127.0.75.1';
const PHONE = '127.0.75.10';

let app: TestAppliance;
let sibling: dgram.Socket;
let base = 0;
const got: string[] = [];

function response(viaHost: string, viaPort: number, branch: string): string {
  return [
    'SIP/2.0 180 Ringing',
    `Via: SIP/2.0/UDP ${viaHost}:${viaPort};branch=${branch}`,
    `Via: SIP/2.0/UDP 127.0.75.20:5060;branch=z9hG4bK-caller-${branch}`,
    'From: <sip:201@office.lan>;tag=a1',
    'To: <sip:202@office.lan>;tag=b2',
    `Call-ID: ${branch}@127.0.75.20`,
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

async function sendFromPhone(text: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, PHONE, () => r()));
  await new Promise<void>((r) => s.send(text, app.port, HOST, () => r()));
  s.close();
}

beforeAll(async () => {
  base = await freePort(HOST);
  sibling = dgram.createSocket('udp4');
  await new Promise<void>((r) => sibling.bind(base, HOST, () => r()));
  sibling.on('message', (m) => got.push(m.toString('latin1')));
  app = await startTestAppliance(HOST, { sip: `worker_port_base = ${base}` });
});

afterAll(async () => {
  sibling?.close();
  await app?.stop();
});

describe('responses for a sibling worker', () => {
  test('a response whose top Via is a worker slot port of ours goes to that port, unchanged', async () => {
    const text = response(HOST, base, 'z9hG4bK-sibling-1');
    await sendFromPhone(text);
    const until = Date.now() + 2000;
    while (got.length === 0 && Date.now() < until) await Bun.sleep(20);
    expect(got).toEqual([text]);
  });

  test('attack: a response naming a port outside the slots, or another host, is dropped (no relay)', async () => {
    got.length = 0;
    const before = app.app.sip.service.counters.dropped;
    await sendFromPhone(response(HOST, base - 1, 'z9hG4bK-outside-1'));
    await sendFromPhone(response('127.0.75.30', base, 'z9hG4bK-otherhost-1'));
    const until = Date.now() + 2000;
    while (app.app.sip.service.counters.dropped < before + 2 && Date.now() < until) await Bun.sleep(20);
    expect(app.app.sip.service.counters.dropped).toBe(before + 2);
    expect(got).toEqual([]);
  });
});
