import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { Database } from 'bun:sqlite';
import { ConfigVersionsStore, migrate } from '../../../system/store/index.ts';
import { PeerService } from '../../../appliance/peers/peer-service.ts';
import { servedZones } from '../../../appliance/dns/zones.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';
import { head, rawRequest } from './support/raw-https.ts';

/**
 * The listeners around the admin UI (issue 10, finding 11): the HTTP → HTTPS redirect, the
 * peer API alone on its own address, the setup token's expiry and single use, and the
 * rate-limited log of unsigned peer requests. Servers on 127.0.10.1 (admin) and 127.0.10.4
 * (peer), clients from 127.0.10.5-.6.
 */
const ADMIN = '127.0.10.1';
const PEER = '127.0.10.4';
const CLIENT = '127.0.10.5';
const PW = 'Listener-Test-Admin-3';

/** A free TCP port on `host` (bound and released: the redirect port cannot be 0, that means off). */
function freePort(host: string): number {
  const s = Bun.listen({ hostname: host, port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

describe('HTTP → HTTPS redirect', () => {
  let fx: WebFixture;
  let httpPort: number;
  beforeAll(async () => {
    httpPort = freePort(ADMIN);
    fx = await startWebFixture({ listen: ADMIN, webToml: `http_redirect_port = ${httpPort}\nhosts = ["pbx.office.lan"]` });
  });
  afterAll(() => fx?.stop());

  test('plain HTTP answers 308 to the same path and query on the HTTPS port, for the Host used', async () => {
    expect(fx.web.redirectPort).toBe(httpPort);
    const res = await fetch(`http://${ADMIN}:${httpPort}/api/session?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe(`https://${ADMIN}:${fx.web.port}/api/session?x=1`);
    const named = await rawRequest({ host: ADMIN, port: httpPort, localAddress: CLIENT, head: head('POST', '/api/login', `pbx.office.lan:${httpPort}`, { 'Content-Length': '0' }) });
    expect(named.status).toBe(308);
    expect(named.headers.location).toBe(`https://pbx.office.lan:${fx.web.port}/api/login`);
    // Followed, it lands on the HTTPS listener.
    const followed = await fx.fetch(`http://${ADMIN}:${httpPort}/api/session`);
    expect(followed.url).toStartWith('https://');
    expect(followed.status).toBe(200);
  });

  test('a foreign Host gets 421 on the redirect listener too', async () => {
    const a = await rawRequest({ host: ADMIN, port: httpPort, localAddress: CLIENT, head: head('GET', '/', 'evil.example') });
    expect(a.status).toBe(421);
  });

  test('config: a redirect without HTTPS, or on the HTTPS port, is refused naming the key', () => {
    expect(() => parseConfig('[web]\nhttps = false\nhttp_redirect_port = 8081', 't')).toThrow(/web\.http_redirect_port/);
    expect(() => parseConfig('[web]\nport = 8443\nhttp_redirect_port = 8443', 't')).toThrow(/web\.http_redirect_port/);
    expect(() => parseConfig('[web]\ncert = "/x.pem"', 't')).toThrow(/web\.key/);
    expect(() => parseConfig('[web]\npeer_port = 9000', 't')).toThrow(/web\.peer_port/);
    expect(() => parseConfig('[web]\nhosts = ["evil example"]', 't')).toThrow(/web\.hosts\[0\]/);
  });
});

describe('the peer API on its own listener', () => {
  let fx: WebFixture;
  let dir: string;
  let peers: PeerService | undefined;
  const memoryDb = () => {
    const db = new Database(':memory:');
    migrate(db);
    return db;
  };
  const logged: { kind: string; details?: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peer-listener-'));
    const config = parseConfig(`data_dir = "${dir}"\nname = "a"\n[sip]\nlisten = "${ADMIN}"\n[web]\nlisten = "${ADMIN}"\nport = 0\npeer_listen = "${PEER}"\npeer_port = 0\n` +
      `[[peers]]\nname = "b"\nurl = "https://127.0.10.6:1"\nsip = "127.0.10.6:5060"\nsecret = "a-secret-of-sixteen+"\n`, 'test');
    // The real peer service: its routes check the HMAC; only its logging is looked at here.
    const base = {
      config, summary: () => ({ name: 'a', workers: 0, cpuShare: 0, handedOffTo: null, servingFor: [] }) as never,
      applyRemote: () => 0, localBindings: () => [], onRoles: () => {},
      configVersions: new ConfigVersionsStore(memoryDb()), onConfigApplied: () => {},
      configRules: () => ({ origins: new Set(['a', 'b']), realm: 'office.lan', emergencyNumbers: [], maxAheadMs: 60_000, zones: servedZones(config) }),
      log: (kind: string, _message: string, details?: Record<string, unknown>) => void logged.push({ kind, details }),
    };
    const rules = { bindingRules: { domain: 'office.lan', maxExpiresSeconds: 3600, maxContacts: 5, extensionExists: () => false, currentBindings: () => [] } };
    peers = new PeerService({ ...base, ...rules });
    fx = await startWebFixture({ config, peerRoutes: peers.routes() });
  });
  afterAll(async () => {
    peers?.stop();
    await fx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/peer/* is served on the peer address and not on the admin one; the admin UI not on the peer one', async () => {
    expect(fx.web.peerUrl).toBe(`https://${PEER}:${fx.web.peerPort}`);
    const onPeer = await rawRequest({ host: PEER, port: fx.web.peerPort!, tls: true, localAddress: CLIENT, head: head('POST', '/peer/heartbeat', PEER, { 'Content-Length': '2' }) + '{}' });
    expect(onPeer.status).toBe(401); // reached the peer API: unsigned
    const onAdmin = await rawRequest({ host: ADMIN, port: fx.web.port, tls: true, localAddress: CLIENT, head: head('POST', '/peer/heartbeat', ADMIN, { 'Content-Length': '2' }) + '{}' });
    expect(onAdmin.status).toBe(404);
    for (const path of ['/api/session', '/', '/control/status']) {
      const a = await rawRequest({ host: PEER, port: fx.web.peerPort!, tls: true, localAddress: CLIENT, head: head('GET', path, PEER) });
      expect({ path, status: a.status }).toEqual({ path, status: 404 });
    }
    // Same certificate, same Host rule, same body limit there.
    expect(onPeer.fingerprint256).toBe(fx.web.certificate!.fingerprint);
    expect((await rawRequest({ host: PEER, port: fx.web.peerPort!, tls: true, localAddress: CLIENT, head: head('POST', '/peer/heartbeat', 'evil.example') })).status).toBe(421);
    const big = await rawRequest({ host: PEER, port: fx.web.peerPort!, tls: true, localAddress: CLIENT, head: head('POST', '/peer/heartbeat', PEER, { 'Content-Length': String(200 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
  });

  test('a flood of unsigned peer requests writes a few event rows a minute, the rest counted', async () => {
    logged.length = 0;
    const send = (from: string) => rawRequest({
      host: PEER, port: fx.web.peerPort!, tls: true, localAddress: from, closeWaitMs: 0,
      head: head('POST', '/peer/heartbeat', PEER, { 'Content-Length': '2', 'x-peer-name': 'b', 'x-peer-timestamp': '1', 'x-peer-signature': 'f'.repeat(64) }) + '{}',
    });
    const answers: number[] = [];
    for (let i = 0; i < 60; i++) answers.push((await send(CLIENT)).status);
    expect(new Set(answers)).toEqual(new Set([401]));
    const rows = logged.filter((l) => l.kind === 'peer.auth.refused');
    expect(rows.length).toBe(3);
    expect(rows[0].details).toMatchObject({ client: CLIENT });
    // Another source has its own budget.
    await send('127.0.10.6');
    expect(logged.filter((l) => l.kind === 'peer.auth.refused').length).toBe(4);
  }, 20_000);
});

describe('first-run setup token', () => {
  test('refused once expired (403), with a new one on request', async () => {
    const fx = await startWebFixture({ listen: ADMIN, auth: { setupTokenMs: 300 } });
    try {
      expect(fx.lines.some((l) => l.includes('valid for'))).toBe(true);
      const token = fx.web.setupToken!;
      await Bun.sleep(400);
      const api = new ApiClient(fx.web.url, fx.web.certificate!.cert);
      const late = await api.json('POST', '/api/setup', { token, password: PW });
      expect(late.status).toBe(403);
      expect(late.body.error.message).toMatch(/expired|no valid setup token/);
      const fresh = fx.web.renewSetupToken()!;
      expect(fresh).not.toBe(token);
      expect(fx.lines.some((l) => l.includes(fresh))).toBe(true);
      expect((await api.json('POST', '/api/setup', { token: fresh, password: PW })).status).toBe(201);
      expect(fx.web.renewSetupToken()).toBeUndefined(); // a password is set: no more tokens
    } finally {
      await fx.stop();
    }
  });

  test('single use: of two racing setups with the token exactly one wins, and it is gone after', async () => {
    const fx = await startWebFixture({ listen: ADMIN });
    try {
      const token = fx.web.setupToken!;
      const a = new ApiClient(fx.web.url, fx.web.certificate!.cert);
      const b = new ApiClient(fx.web.url, fx.web.certificate!.cert);
      const [ra, rb] = await Promise.all([
        a.json('POST', '/api/setup', { token, password: PW }),
        b.json('POST', '/api/setup', { token, password: 'Other-Racing-Pass-5' }),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([201, 403]);
      expect((await new ApiClient(fx.web.url, fx.web.certificate!.cert).json('POST', '/api/setup', { token, password: PW })).status).toBe(409);
    } finally {
      await fx.stop();
    }
  });
});
