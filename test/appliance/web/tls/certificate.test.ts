import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CERT_FILE, KEY_FILE, loadOrCreateCertificate, TLS_DIR } from '../../../../appliance/web/tls/certificate.ts';
import { ApiClient, startWebFixture } from '../support/web-fixture.ts';
import { head, rawRequest } from '../support/raw-https.ts';

/** The admin listener's certificate: generated once at first start, 0600, reused, shown. */
const SERVER = '127.0.10.1';
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cert-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('generated certificate', () => {
  test('made at first start (key and cert 0600 in a 0700 dir), reused on the next start, and the one served', async () => {
    const dataDir = tempDir();
    const first = await startWebFixture({ listen: SERVER, dataDir });
    const cert1 = first.web.certificate!;
    expect(first.web.url).toStartWith(`https://${SERVER}:`);
    expect(cert1.createdNow).toBe(true);
    expect(cert1.generated).toBe(true);
    expect(cert1.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(cert1.names).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1', SERVER]));
    expect(first.lines.some((l) => l.includes(`fingerprint ${cert1.fingerprint}`))).toBe(true);
    expect(statSync(join(dataDir, TLS_DIR)).mode & 0o777).toBe(0o700);
    for (const f of [CERT_FILE, KEY_FILE]) expect(statSync(join(dataDir, TLS_DIR, f)).mode & 0o777).toBe(0o600);

    // What a client on the wire sees is that certificate.
    const seen = await rawRequest({ host: SERVER, port: first.web.port, tls: true, localAddress: '127.0.10.2', head: head('GET', '/api/session', SERVER) });
    expect(seen.status).toBe(200);
    expect(seen.fingerprint256).toBe(cert1.fingerprint);
    // Verified by a client that trusts exactly it (SAN carries the listen address).
    expect((await first.fetch(`${first.web.url}/api/session`)).status).toBe(200);
    // A client that trusts nothing extra refuses it (self-signed).
    expect(await fetch(`${first.web.url}/api/session`).then(() => 'accepted', () => 'refused')).toBe('refused');
    const keyBefore = readFileSync(join(dataDir, TLS_DIR, KEY_FILE), 'utf8');
    await first.stop();

    const second = await startWebFixture({ listen: SERVER, dataDir });
    expect(second.web.certificate!.createdNow).toBe(false);
    expect(second.web.certificate!.fingerprint).toBe(cert1.fingerprint);
    expect(readFileSync(join(dataDir, TLS_DIR, KEY_FILE), 'utf8')).toBe(keyBefore);
    // The API field the UI shows.
    const api = new ApiClient(second.web.url, second.web.certificate!.cert);
    expect((await api.json('POST', '/api/setup', { token: second.web.setupToken, password: 'Cert-Test-Admin-9' })).status).toBe(201);
    const tls = await api.json('GET', '/api/tls');
    expect(tls.body).toMatchObject({ https: true, fingerprint: cert1.fingerprint, generated: true });
    await second.stop();
  }, 20_000);

  test('made again when it does not name a new host, or a file is damaged', async () => {
    const dataDir = tempDir();
    const a = await loadOrCreateCertificate({ dataDir, names: ['localhost'] });
    const same = await loadOrCreateCertificate({ dataDir, names: ['localhost'] });
    expect(same.fingerprint).toBe(a.fingerprint);
    const more = await loadOrCreateCertificate({ dataDir, names: ['localhost', 'pbx.office.lan'] });
    expect(more.createdNow).toBe(true);
    expect(more.names).toContain('pbx.office.lan');
    writeFileSync(join(dataDir, TLS_DIR, KEY_FILE), 'garbage');
    const fixed = await loadOrCreateCertificate({ dataDir, names: ['localhost'] });
    expect(fixed.createdNow).toBe(true);
    expect(statSync(join(dataDir, TLS_DIR, KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  test('close to expiry: renewed', async () => {
    const dataDir = tempDir();
    const a = await loadOrCreateCertificate({ dataDir, names: ['localhost'], now: Date.now() - 3640 * 86_400_000 });
    const b = await loadOrCreateCertificate({ dataDir, names: ['localhost'] });
    expect(b.createdNow).toBe(true);
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });
});

describe("the admin's own certificate", () => {
  test('[web] cert/key are served as given, nothing generated', async () => {
    const own = tempDir();
    const made = await loadOrCreateCertificate({ dataDir: own, names: ['localhost', SERVER] });
    const dataDir = tempDir();
    const fx = await startWebFixture({
      listen: SERVER, dataDir,
      webToml: `cert = "${join(own, TLS_DIR, CERT_FILE)}"\nkey = "${join(own, TLS_DIR, KEY_FILE)}"`,
    });
    expect(fx.web.certificate!.generated).toBe(false);
    expect(fx.web.certificate!.fingerprint).toBe(made.fingerprint);
    expect(() => statSync(join(dataDir, TLS_DIR))).toThrow();
    expect((await fx.fetch(`${fx.web.url}/api/session`)).status).toBe(200);
    await fx.stop();
  });
});
