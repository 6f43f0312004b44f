import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, type RunningAppliance } from '../../../../appliance/runtime/start-appliance.ts';
import { SIP_CERT_FILES } from '../../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../../appliance/tls/certificate.ts';
import { parseConfig } from '../../../../system/config/index.ts';
import { sipMessage, statusOf } from '../../../support/sip-udp-peer.ts';
import { SipTlsPhone } from '../../../support/sip-tls-phone.ts';

/**
 * An attacker on the LAN against the TLS port (127.0.110.20-23 → appliance on 127.0.110.10):
 * plaintext SIP, junk instead of a ClientHello, a connection that never handshakes, a TLS
 * slowloris, a connection flood from one source. Nothing crashes, every one is cut within the
 * [sip] tcp_* bounds, and a real TLS phone is still answered afterwards.
 */
const HOST = '127.0.110.10';
const ATTACKER = '127.0.110.20';
const PHONE = '127.0.110.21';

let dir: string;
let app: RunningAppliance;
let tlsPort: number;
let ca: string;

/** A raw TCP connection to the TLS port from `from`; resolves when the appliance closes it (ms after open), or undefined at `limitMs`. */
function rawConnection(from: string, send: (s: net.Socket) => void, limitMs: number): Promise<{ closedAfter?: number; received: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let received = 0;
    const s = net.connect({ host: HOST, port: tlsPort, localAddress: from }, () => send(s));
    s.on('data', (d) => (received += d.length));
    const timer = setTimeout(() => { s.destroy(); resolve({ received }); }, limitMs);
    s.on('close', () => { clearTimeout(timer); resolve({ closedAfter: Date.now() - t0, received }); });
    s.on('error', () => {});
  });
}

/** The appliance still answers an OPTIONS over a fresh TLS connection. */
async function stillServes(): Promise<boolean> {
  const phone = await SipTlsPhone.open(PHONE, HOST, tlsPort, ca);
  try {
    const id = `alive-${Math.random().toString(36).slice(2)}`;
    phone.send(sipMessage(`OPTIONS sip:${HOST}:${tlsPort};transport=tls SIP/2.0`, [
      `Via: SIP/2.0/TLS ${PHONE}:${phone.port};branch=z9hG4bK-${id}`, 'Max-Forwards: 70', `From: <sip:probe@${PHONE}>;tag=p`,
      `To: <sip:${HOST}>`, `Call-ID: ${id}`, 'CSeq: 1 OPTIONS',
    ]));
    return statusOf(await phone.waitFor((m) => m.includes(id), 3000)) === 200;
  } finally {
    phone.close();
  }
}

describe('TLS port under attack', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-attacks-'));
    app = await startAppliance(parseConfig(`data_dir = "${dir}"
[sip]
listen = "${HOST}"
port = 0
transports = ["udp", "tls"]
tcp_first_message_timeout = 1
tcp_message_timeout = 1
tcp_max_per_source = 8
[sip.tls]
port = 0
[dns]
enabled = false
`, 'test'));
    tlsPort = app.sip.transports.tlsPort!;
    ca = readFileSync(join(dir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('plaintext SIP on the TLS port: the handshake fails, the connection is cut at once, nothing is answered in clear', async () => {
    const before = app.sip.transports.tls!.stats.handshakeFailures;
    const r = await rawConnection(ATTACKER, (s) => s.write(sipMessage('REGISTER sip:office.lan SIP/2.0', [
      `Via: SIP/2.0/TCP ${ATTACKER}:5060;branch=z9hG4bK-plain`, 'From: <sip:201@office.lan>;tag=a', 'To: <sip:201@office.lan>',
      'Call-ID: plain-1', 'CSeq: 1 REGISTER', 'Max-Forwards: 70',
    ])), 3000);
    expect(r.closedAfter).toBeLessThan(1000);
    expect(app.sip.transports.tls!.stats.handshakeFailures).toBe(before + 1);
    expect(app.sip.location.bindings('sip:201@office.lan')).toHaveLength(0);
    expect(await stillServes()).toBe(true);
  });

  test('junk instead of a ClientHello (64 KiB of random bytes) is cut, the worker keeps serving', async () => {
    const junk = Buffer.alloc(65536);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    const r = await rawConnection(ATTACKER, (s) => s.write(junk), 3000);
    expect(r.closedAfter).toBeLessThan(1000);
    expect(await stillServes()).toBe(true);
  });

  test('a connection that never starts the handshake is closed by the first-message deadline (1 s)', async () => {
    const r = await rawConnection(ATTACKER, () => {}, 4000);
    expect(r.closedAfter).toBeGreaterThanOrEqual(900);
    expect(r.closedAfter).toBeLessThan(2600);
  });

  test('TLS slowloris: a message trickled a byte at a time is cut by the message deadline (1 s)', async () => {
    const slow = await SipTlsPhone.open(ATTACKER, HOST, tlsPort, ca);
    const t0 = Date.now();
    const text = 'OPTIONS sip:office.lan SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.110.20:5061;branch=z9hG4bK-slow\r\nX-Padding: ' + 'a'.repeat(200);
    for (let i = 0; i < text.length && !slow.closed && Date.now() - t0 < 5000; i++) {
      slow.send(text[i]);
      await Bun.sleep(20);
    }
    const lasted = Date.now() - t0;
    slow.close();
    expect(lasted).toBeLessThan(3000);
    expect(await stillServes()).toBe(true);
  }, 10_000);

  test('a connection flood from one source is capped per source (8); other sources are still served', async () => {
    const socks: net.Socket[] = [];
    let closedEarly = 0;
    await Promise.all(Array.from({ length: 40 }, () => new Promise<void>((resolve) => {
      const s = net.connect({ host: HOST, port: tlsPort, localAddress: ATTACKER }, () => resolve());
      s.on('close', () => closedEarly++);
      s.on('error', () => resolve());
      socks.push(s);
    })));
    await Bun.sleep(300);
    try {
      expect(closedEarly).toBeGreaterThanOrEqual(32);
      expect(app.sip.transports.tls!.stats.refusedPerSource).toBeGreaterThanOrEqual(32);
      expect(await stillServes()).toBe(true);
    } finally {
      for (const s of socks) s.destroy();
    }
  });
});
