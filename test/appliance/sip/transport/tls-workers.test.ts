import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../../appliance/control/control-section.ts';
import { SIP_CERT_FILES } from '../../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../../appliance/tls/certificate.ts';
import { loadConfig } from '../../../../system/config/index.ts';
import { openStore } from '../../../../system/store/index.ts';
import { sipMessage, statusOf } from '../../../support/sip-udp-peer.ts';
import { headerLines, SipTlsPhone } from '../../../support/sip-tls-phone.ts';
import { freePort, freeTcpPort } from '../../../support/sipp.ts';

/**
 * A TLS phone reached from any worker (127.0.110.40-42): two connection control sections
 * (processes) share the SIP and TLS ports; the phone's TLS connection lives in one of them.
 * INVITEs from 24 UDP sources spread over both workers all reach the phone over that one
 * connection (the other worker hands the bytes over: tcp-write IPC, `tls:` keys), and every
 * 486 it answers gets back to each caller through the worker that forwarded.
 */
/**
 * Callers, one socket each: the kernel's reuseport hash spreads them over the two workers; with
 * 24 the chance that all land on one is 2^-23 (with 8 it was 1 in 128, seen failing).
 */
const CALLERS = 24;
const HOST = '127.0.110.40';
const PHONE = '127.0.110.41';
const GATEWAY = '127.0.110.42';
const PW = 'Tls-Workers-Pass-401';

let dir: string;
let control: ControlSection;
let sipPort: number;
let tlsPort: number;
let phone: SipTlsPhone;

describe('TLS phone with worker processes', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-workers-'));
    sipPort = await freePort(HOST);
    tlsPort = await freeTcpPort(HOST);
    const path = join(dir, 'appliance.toml');
    writeFileSync(path, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp", "tls"]
trusted = ["${GATEWAY}/32"]
[sip.tls]
port = ${tlsPort}
[dns]
enabled = false
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 2
max_workers = 2
`);
    const config = loadConfig(path);
    const store = openStore(config.dataDir);
    new ExtensionService(store, config.sip.domain).add({ number: '401', password: PW });
    store.close();
    control = await startControlSection(config, { configArg: path, workerOutput: 'ignore' });
    const ca = readFileSync(join(config.dataDir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');
    phone = await SipTlsPhone.open(PHONE, HOST, tlsPort, ca);
  }, 30_000);
  afterAll(async () => {
    phone?.close();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('calls arriving on either worker reach the phone over its one TLS connection; the answers come back', async () => {
    let status: number | undefined;
    for (let i = 0; i < 10 && status !== 200; i++) {
      status = await phone.register('401', PW, 'office.lan', `sip:401@${PHONE}:${phone.port};transport=tls`);
      if (status !== 200) await Bun.sleep(300);
    }
    expect(status).toBe(200);
    await Bun.sleep(300); // the binding and the connection's holder reach the other worker
    const got: string[] = [];
    const callers = await Promise.all(Array.from({ length: CALLERS }, async (_, i) => {
      const s = dgram.createSocket('udp4');
      s.on('message', (m) => got.push(`${i} ${m.toString('latin1')}`));
      await new Promise<void>((r) => s.bind(0, GATEWAY, () => r()));
      return s;
    }));
    const answered = new Set<string>();
    const answering = setInterval(() => {
      for (const m of phone.inbox) {
        const id = /Call-ID: (tls-workers-\d+)/.exec(m)?.[1];
        if (!m.startsWith('INVITE ') || !id || answered.has(id)) continue;
        answered.add(id);
        phone.respond(m, 486, 'Busy Here');
      }
    }, 10);
    callers.forEach((s, i) => s.send(sipMessage('INVITE sip:401@office.lan SIP/2.0', [
      `Via: SIP/2.0/UDP ${GATEWAY}:${s.address().port};branch=z9hG4bK-tlsw${i};rport`, `From: <sip:gw@${GATEWAY}>;tag=gw${i}`,
      'To: <sip:401@office.lan>', `Call-ID: tls-workers-${i}`, 'CSeq: 1 INVITE', `Contact: <sip:gw@${GATEWAY}:${s.address().port}>`, 'Max-Forwards: 70',
    ]), sipPort, HOST));
    const finals = () => new Set(got.filter((m) => statusOf(m.slice(m.indexOf(' ') + 1)) === 486).map((m) => m.split(' ')[0]));
    const deadline = Date.now() + 6000;
    while ((answered.size < CALLERS || finals().size < CALLERS) && Date.now() < deadline) await Bun.sleep(20);
    clearInterval(answering);
    for (const s of callers) s.close();
    expect(answered.size).toBe(CALLERS);
    expect(finals().size).toBe(CALLERS);
    const invites = phone.inbox.filter((m) => m.startsWith('INVITE '));
    // Both workers forwarded some: the sent-by is the shared TLS port (where a phone may send a
    // response, RFC 3261 §18.2.2), each worker's own Via port is in `wport`, and they differ.
    const sentBy = new Set(invites.map((m) => /^SIP\/2\.0\/TLS [^:]+:(\d+)/.exec(headerLines(m, 'Via')[0])?.[1]));
    expect([...sentBy]).toEqual([String(tlsPort)]);
    const viaPorts = new Set(invites.map((m) => /;wport=(\d+)/.exec(headerLines(m, 'Via')[0])?.[1]));
    console.log(`INVITEs over one TLS connection forwarded by ${viaPorts.size} workers`);
    expect(viaPorts.size).toBe(2);
    expect(viaPorts.has(undefined)).toBe(false);
    expect(phone.closed).toBe(false);
  }, 20_000);
});
