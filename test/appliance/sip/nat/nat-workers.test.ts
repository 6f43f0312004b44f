import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../../appliance/control/control-section.ts';
import { startWebServer, type RunningWebServer } from '../../../../appliance/web/server.ts';
import { loadConfig } from '../../../../system/config/index.ts';
import { openStore } from '../../../../system/store/index.ts';
import { sipMessage } from '../../../support/sip-udp-peer.ts';
import { freePort } from '../../../support/sipp.ts';
import { ApiClient } from '../../web/support/web-fixture.ts';
import { NatPhone } from './support/nat-phone.ts';

/**
 * A phone behind NAT with two connection control sections (worker processes) on 127.0.130.60:
 * the API shows it behind NAT; only the worker that took its REGISTER pings it (one ping per
 * interval, not one per worker), from the shared port; calls arriving on either worker reach it
 * at the address it registered from, from the shared port too.
 */
/**
 * Callers, one socket each: the kernel's reuseport hash spreads them over the two workers; with
 * 24 the chance that all land on one is 2^-23 (with 8 it was 1 in 128, seen failing).
 */
const CALLERS = 24;
const HOST = '127.0.130.60';
const PHONE = '127.0.130.61';
const GATEWAY = '127.0.130.62';
const PW = 'Nat-Workers-Pass-301';

let dir: string;
let control: ControlSection;
let web: RunningWebServer;
let api: ApiClient;
let sipPort: number;
let phone: NatPhone;

describe('NAT with worker processes', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nat-workers-'));
    sipPort = await freePort(HOST);
    const path = join(dir, 'appliance.toml');
    writeFileSync(path, `data_dir = "${dir}/data"
[sip]
listen = "${HOST}"
port = ${sipPort}
transports = ["udp"]
trusted = ["${GATEWAY}/32"]
nat_ping_interval = 1
[dns]
enabled = false
[web]
listen = "${HOST}"
port = 0
[control]
min_workers = 2
max_workers = 2
sample_schedule = "*/1 * * * * *"
`);
    const config = loadConfig(path);
    const store = openStore(config.dataDir);
    new ExtensionService(store, config.sip.domain).add({ number: '301', password: PW });
    store.close();
    control = await startControlSection(config, { configArg: path, workerOutput: 'ignore' });
    web = await startWebServer({ config, store: control.store, view: control.view });
    api = new ApiClient(web.url, web.certificate?.cert);
    expect((await api.json('POST', '/api/setup', { token: web.setupToken, password: 'Nat-Admin-Pw-301x' })).status).toBe(201);
    phone = await NatPhone.open(PHONE, '301');
  }, 30_000);
  afterAll(async () => {
    phone?.close();
    await web?.stop();
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('registered through one worker: behind NAT in the API, pinged once per interval from the shared port', async () => {
    let status: number | undefined;
    for (let i = 0; i < 10 && status !== 200; i++) {
      status = await phone.register('301', PW, HOST, sipPort);
      if (status !== 200) await Bun.sleep(300); // a worker still starting up answers 503
    }
    expect(status).toBe(200);
    let list: { extension: string; source: string; behindNat: boolean }[] = [];
    for (let i = 0; i < 40 && list.length === 0; i++) {
      await Bun.sleep(50);
      list = (await api.json('GET', '/api/registrations')).body;
    }
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ extension: '301', source: `udp:${PHONE}:${phone.port}`, behindNat: true });

    const before = phone.requests('OPTIONS').length;
    await Bun.sleep(4200);
    const pings = phone.requests('OPTIONS').slice(before);
    console.log(`NAT pings with 2 workers over 4.2 s at 1 s: ${pings.length}`);
    // One worker: about 4; both workers pinging would give about 8.
    expect(pings.length).toBeGreaterThanOrEqual(3);
    expect(pings.length).toBeLessThanOrEqual(5);
    for (const p of pings) expect(p.fromPort).toBe(sipPort);
  }, 20_000);

  test('calls arriving on either worker reach the phone where it registered from, from the shared port', async () => {
    const callers = await Promise.all(Array.from({ length: CALLERS }, async () => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, GATEWAY, () => r()));
      return s;
    }));
    callers.forEach((s, i) => s.send(sipMessage('INVITE sip:301@office.lan SIP/2.0', [
      `Via: SIP/2.0/UDP ${GATEWAY}:${s.address().port};branch=z9hG4bK-natw${i};rport`, `From: <sip:gw@${GATEWAY}>;tag=gw${i}`,
      'To: <sip:301@office.lan>', `Call-ID: nat-workers-${i}`, 'CSeq: 1 INVITE', `Contact: <sip:gw@${GATEWAY}:${s.address().port}>`, 'Max-Forwards: 70',
    ]), sipPort, HOST));
    const deadline = Date.now() + 5000;
    const got = () => new Set(phone.requests('INVITE').map((m) => /Call-ID: (nat-workers-\d+)/.exec(m.text)?.[1]).filter(Boolean));
    while (got().size < CALLERS && Date.now() < deadline) await Bun.sleep(20);
    for (const s of callers) s.close();
    expect(got().size).toBe(CALLERS);
    for (const m of phone.requests('INVITE')) {
      expect(m.text).toStartWith('INVITE sip:301@10.9.9.9:5060 SIP/2.0');
      expect(m.fromPort).toBe(sipPort);
    }
    // Both workers forwarded some (their own Via ports in the top Via).
    const viaPorts = new Set(phone.requests('INVITE').map((m) => /^Via: SIP\/2\.0\/UDP [^:]+:(\d+)/m.exec(m.text)?.[1]));
    console.log(`INVITEs forwarded by ${viaPorts.size} workers`);
    expect(viaPorts.size).toBe(2);
  }, 15_000);
});
