import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createSocket, type Socket } from 'node:dgram';
import type { TrunkStatus } from '../../../appliance/trunks/trunk-status.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * Trunk registration (issue 14, RFC 3261 §10.2 as a UA) against a real provider: Kamailio 5.6
 * on 127.0.180.2 with digest auth for the trunk account; the appliance on 127.0.180.1.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined;
const APPLIANCE = '127.0.180.1';
const PROVIDER = '127.0.180.2';
const DOMAIN = 'provider.example';
const USER = '5551230000';
const PASSWORD = 'Trunk-Pass-2026';

/** A trunk table; no OPTIONS keep-alive: this file tests what the REGISTERs alone show (the keep-alive: trunk-failover.test.ts). */
function trunkToml(name: string, opts: { registrar?: string; password?: string; register?: boolean; transport?: string } = {}): string {
  return `[[trunks]]
name = "${name}"
registrar = "${opts.registrar ?? `${PROVIDER}:5060`}"
transport = "${opts.transport ?? 'udp'}"
username = "${USER}"
domain = "${DOMAIN}"
${opts.register === false ? 'register = false' : `password = "${opts.password ?? PASSWORD}"`}
keepalive = 0
`;
}

/** Polls a trunk's status until `ok` holds (bounded). */
async function waitForTrunk(app: TestAppliance, name: string, ok: (s: TrunkStatus) => boolean, timeoutMs: number): Promise<TrunkStatus> {
  const until = Date.now() + timeoutMs;
  let s = app.app.trunks!.list().find((t) => t.name === name)!;
  while (!ok(s) && Date.now() < until) {
    await Bun.sleep(50);
    s = app.app.trunks!.list().find((t) => t.name === name)!;
  }
  return s;
}
const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe.skipIf(!HAVE)('trunk registration at a real Kamailio provider (MD5, short expiry)', () => {
  let provider: KamailioProvider;
  let app: TestAppliance;
  beforeAll(async () => {
    // max_expires 4: the appliance asks for 3600, is granted 4 and refreshes at about 2 s.
    provider = await startKamailioProvider({ address: PROVIDER, domain: DOMAIN, username: USER, password: PASSWORD, minExpires: 1, maxExpires: 4, outside: '127.0.180.3:5060' });
    app = await startTestAppliance(APPLIANCE, {
      sip: `transports = ["udp"]\n${trunkToml('provider')}${trunkToml('wrong-password', { password: 'Not-The-Password' })}${trunkToml('static', { register: false })}[emergency]\ntrunk = "provider"\n`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  test('401 → answered once → 200: up, with the expiry the provider granted; logged as trunk.registered', async () => {
    const s = await waitForTrunk(app, 'provider', (t) => t.state === 'up', 8000);
    expect(s).toMatchObject({ state: 'up', reason: undefined, registrar: `${PROVIDER}:5060` });
    expect(s.expiresAt! - Date.now()).toBeLessThanOrEqual(4000);
    expect(await provider.waitForLog(new RegExp(`registered sip:${USER}@${DOMAIN} contact <sip:${USER}@${APPLIANCE}:${app.port}>`), 3000)).toBe(true);
    const ev = app.app.store.events.recent(50, 'trunk.registered');
    expect(ev.some((e) => e.message.includes('trunk provider registered at 127.0.180.2:5060'))).toBe(true);
  });

  test('refreshes at about half the granted expiry and stays up', async () => {
    const before = count(provider.log(), /provider: registered/);
    const first = (await waitForTrunk(app, 'provider', (t) => t.state === 'up', 8000)).expiresAt!;
    // Two refreshes in 6 s at 4 s granted (one every ~2 s, each a 401 → 200 round trip).
    await Bun.sleep(6000);
    const after = count(provider.log(), /provider: registered/);
    expect(after - before).toBeGreaterThanOrEqual(2);
    expect(after - before).toBeLessThanOrEqual(4);
    const s = app.app.trunks!.list().find((t) => t.name === 'provider')!;
    expect(s.state).toBe('up');
    expect(s.expiresAt!).toBeGreaterThan(first);
    // Refreshes do not flood the event log: one trunk.registered per change of state.
    expect(app.app.store.events.recent(100, 'trunk.registered').filter((e) => e.message.includes('trunk provider ')).length).toBe(1);
  });

  test('a wrong password: failed with the provider\'s reason (403 Wrong password), retried with back-off', async () => {
    const s = await waitForTrunk(app, 'wrong-password', (t) => t.state === 'failed', 8000);
    expect(s).toMatchObject({ state: 'failed', reason: '403 Wrong password' });
    expect(s.retryAt! - Date.now()).toBeGreaterThan(0);
    expect(app.app.store.events.recent(50, 'trunk.failed').some((e) => e.message.includes('trunk wrong-password registration at 127.0.180.2:5060 failed: 403 Wrong password'))).toBe(true);
    // The password never reaches the event log.
    expect(JSON.stringify(app.app.store.events.recent(200, 'trunk.'))).not.toContain('Not-The-Password');
  });

  test('an IP-authenticated trunk (register = false) is "static" and sends nothing', () => {
    expect(app.app.trunks!.list().find((t) => t.name === 'static')).toMatchObject({ state: 'static', reason: undefined });
  });

  test('the provider going away: the refresh times out (Timer F), failed with back-off; back up when it returns', async () => {
    await provider.stop();
    const failed = await waitForTrunk(app, 'provider', (t) => t.state === 'failed', 45_000);
    expect(failed).toMatchObject({ state: 'failed', reason: 'no answer from the registrar (timeout)', expiresAt: undefined });
    expect(failed.retryAt).toBeNumber();
    provider = await startKamailioProvider({ address: PROVIDER, domain: DOMAIN, username: USER, password: PASSWORD, minExpires: 1, maxExpires: 4, outside: '127.0.180.3:5060' });
    // The next attempt comes after the back-off (2 s after the first failure; a timeout retried meanwhile doubles it).
    const up = await waitForTrunk(app, 'provider', (t) => t.state === 'up', 40_000);
    expect(up.state).toBe('up');
  }, 100_000);
});

describe.skipIf(!HAVE)('trunk registration: 423 Interval Too Brief and SHA-256 digest', () => {
  let provider: KamailioProvider;
  let app: TestAppliance;
  beforeAll(async () => {
    // min_expires 7200 (mode 1: 423 below it): our 3600 gets 423 Min-Expires 7200, then we ask for 7200.
    provider = await startKamailioProvider({ address: PROVIDER, port: 5062, domain: DOMAIN, username: USER, password: PASSWORD, minExpires: 7200, maxExpires: 7200, algorithm: 'SHA-256' });
    app = await startTestAppliance(APPLIANCE, { sip: `transports = ["udp"]\n${trunkToml('provider', { registrar: `${PROVIDER}:5062` })}[emergency]\ntrunk = "provider"\n` });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  test('retries with the Min-Expires, answers the SHA-256 challenge, and is up for 7200 s', async () => {
    const s = await waitForTrunk(app, 'provider', (t) => t.state === 'up', 8000);
    expect(s.state).toBe('up');
    expect(Math.round((s.expiresAt! - Date.now()) / 1000)).toBeGreaterThan(7190);
    expect(await provider.waitForLog(/provider: registered .* expires 7200 /, 2000)).toBe(true);
    expect(provider.log()).not.toMatch(/provider: registered .* expires 3600 /);
  });
});

describe.skipIf(!HAVE)('trunk registration over TCP', () => {
  let provider: KamailioProvider;
  let app: TestAppliance;
  beforeAll(async () => {
    provider = await startKamailioProvider({ address: PROVIDER, port: 5070, domain: DOMAIN, username: USER, password: PASSWORD });
    app = await startTestAppliance(APPLIANCE, { sip: `transports = ["udp", "tcp"]\n${trunkToml('provider', { registrar: `${PROVIDER}:5070`, transport: 'tcp' })}[emergency]\ntrunk = "provider"\n` });
  });
  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  test('401 → 200 over TCP; the Contact says transport=tcp', async () => {
    const s = await waitForTrunk(app, 'provider', (t) => t.state === 'up', 8000);
    expect(s.state).toBe('up');
    expect(await provider.waitForLog(new RegExp(`registered sip:${USER}@${DOMAIN} contact <sip:${USER}@${APPLIANCE}:${app.port};transport=tcp>`), 2000)).toBe(true);
  });
});

describe('attack: a forged 200 OK to a trunk REGISTER from another address', () => {
  let registrar: Socket;
  let attacker: Socket;
  let app: TestAppliance;
  const received: string[] = [];
  beforeAll(async () => {
    // A registrar that takes REGISTERs and answers only when the test says so.
    registrar = createSocket('udp4');
    registrar.on('message', (m) => received.push(m.toString('latin1')));
    await new Promise<void>((r) => registrar.bind(5064, PROVIDER, r));
    attacker = createSocket('udp4');
    await new Promise<void>((r) => attacker.bind(0, '127.0.180.66', r));
    app = await startTestAppliance(APPLIANCE, { sip: `transports = ["udp"]\n${trunkToml('provider', { registrar: `${PROVIDER}:5064` })}[emergency]\ntrunk = "provider"\n` });
  });
  afterAll(async () => {
    await app?.stop();
    registrar?.close();
    attacker?.close();
  });

  const header = (msg: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(msg)?.[1]?.trim() ?? '';
  const ok200 = (req: string, branch: string) => {
    const via = header(req, 'Via').replace(/;branch=[^;]+/, `;branch=${branch}`);
    return [`SIP/2.0 200 OK`, `Via: ${via}`, `From: ${header(req, 'From')}`, `To: ${header(req, 'To')};tag=forged`, `Call-ID: ${header(req, 'Call-ID')}`,
      `CSeq: ${header(req, 'CSeq')}`, `Contact: ${header(req, 'Contact')};expires=3600`, 'Content-Length: 0', '', ''].join('\r\n');
  };

  test('a 200 with the REGISTER\'s Call-ID, tags and CSeq but not its branch is dropped; the registrar\'s own answer is taken', async () => {
    const until = Date.now() + 5000;
    while (received.length === 0 && Date.now() < until) await Bun.sleep(20);
    expect(received.length).toBeGreaterThan(0);
    const req = received[0];
    expect(req).toStartWith(`REGISTER sip:${DOMAIN} SIP/2.0`);
    const via = /Via: SIP\/2.0\/UDP ([^:;]+):(\d+);branch=([^;\r\n]+)/.exec(req)!;
    const [, viaHost, viaPort, branch] = via;
    expect(viaHost).toBe(APPLIANCE);
    const before = app.app.sip.service.counters.dropped;
    // Forged: everything an off-path attacker can learn or guess except the branch, from another address.
    for (const guess of ['z9hG4bK-tr0000000000000000', 'z9hG4bK-forged', `${branch}x`]) {
      attacker.send(ok200(req, guess), Number(viaPort), viaHost);
    }
    await Bun.sleep(500);
    expect(app.app.sip.service.counters.dropped - before).toBe(3);
    expect(app.app.trunks!.list()[0].state).toBe('registering');
    // The control: the answer to what we sent (its branch) from the registrar marks it up.
    registrar.send(ok200(req, branch), Number(viaPort), viaHost);
    const s = await waitForTrunk(app, 'provider', (t) => t.state === 'up', 3000);
    expect(s.state).toBe('up');
  });
});
