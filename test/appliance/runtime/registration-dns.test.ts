import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { freePort, runSipp, SCENARIOS, sippMessages } from '../../support/sipp.ts';

/**
 * The whole appliance (SIP + DNS function) on 127.0.5.1: a sipp REGISTER publishes
 * <extension>.<zone> in DNS (asked with dig), removal and expiry withdraw it, the SRV names
 * the SIP port actually bound; and in redirect mode a caller gets 302 to the callee's address.
 */
const HOST = '127.0.5.1';
const PHONE = '127.0.5.10';
const GATEWAY = '127.0.5.20';
const PW = 'Foxtrot-Pass-301';
const tools = requireTool('sipp') && requireTool('dig');

let ap: TestAppliance;

async function dig(name: string, type = 'A'): Promise<{ status: string; answers: string[] }> {
  const proc = Bun.spawn(['dig', `@${HOST}`, '-p', String(ap.app.dns.udpPort), name, type, '+time=2', '+tries=1'], { stdout: 'pipe' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const status = /status: (\w+)/.exec(out)?.[1] ?? 'none';
  const answers = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1].split('\n') ?? [];
  return { status, answers };
}

async function register(expires: number, port: number) {
  return runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '301', '-au', '301', '-ap', PW,
    '-key', 'expires', String(expires), `${HOST}:${ap.port}`, '-i', PHONE, '-p', String(port), '-m', '1'], 10);
}

describe.skipIf(!tools)('registrations published by the DNS function', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, {
      dns: `enabled = true\nlisten = "${HOST}"\nport = 0\nzone = "office.lan"`,
      sip: `trusted = ["${GATEWAY}/32"]\nmin_expires = 2`,
    });
    ap.addExtension('301', PW);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test('REGISTER publishes 301.office.lan; Expires 0 withdraws it', async () => {
    const port = await freePort(PHONE);
    expect((await dig('301.office.lan')).status).toBe('NXDOMAIN');
    expect((await register(3600, port)).code).toBe(0);
    const a = await dig('301.office.lan');
    expect(a.status).toBe('NOERROR');
    expect(a.answers.join('\n')).toMatch(/^301\.office\.lan\.\s+\d+\s+IN\s+A\s+127\.0\.5\.10$/m);
    expect((await register(0, port)).code).toBe(0);
    expect((await dig('301.office.lan')).status).toBe('NXDOMAIN');
  });

  test('an expired binding stops resolving without any further message', async () => {
    const port = await freePort(PHONE);
    expect((await register(2, port)).code).toBe(0);
    expect((await dig('301.office.lan')).status).toBe('NOERROR');
    let status = 'NOERROR';
    for (let i = 0; i < 30 && status === 'NOERROR'; i++) {
      await Bun.sleep(500);
      status = (await dig('301.office.lan')).status;
    }
    expect(status).toBe('NXDOMAIN');
  }, 30_000);

  test('SRV for the office domain names the SIP port the appliance bound', async () => {
    const srv = await dig('_sip._udp.office.lan', 'SRV');
    expect(srv.answers.join('\n')).toContain(` ${ap.port} sip.office.lan.`);
  });
});

describe.skipIf(!tools)('redirect mode', () => {
  let redirect: TestAppliance;
  beforeAll(async () => {
    redirect = await startTestAppliance('127.0.5.2', { sip: `trusted = ["${GATEWAY}/32"]\nmode = "redirect"` });
    redirect.addExtension('302', PW);
  });
  afterAll(async () => {
    await redirect?.stop();
  });

  test('the caller gets 302 with the callee phone\'s address in Contact', async () => {
    const port = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '302', '-au', '302', '-ap', PW,
      '-key', 'expires', '3600', `127.0.5.2:${redirect.port}`, '-i', PHONE, '-p', String(port), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    const call = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-302.xml'), '-s', '302', `127.0.5.2:${redirect.port}`,
      '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 10);
    expect(call.code).toBe(0);
    expect(await sippMessages(call)).toMatch(new RegExp(`SIP/2.0 302 Moved Temporarily[\\s\\S]*Contact: +<sip:302@127\\.0\\.5\\.10:${port}>`));
  });
});
