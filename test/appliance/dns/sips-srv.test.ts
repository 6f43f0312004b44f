import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, type RunningAppliance } from '../../../appliance/runtime/start-appliance.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * `_sips._tcp` in the DNS function (RFC 3263 §4.1-4.2, RFC 5630), asked with dig from 127.0.110.31:
 * with tls on, NAPTR SIPS+D2T comes first (order 80, before SIP+D2T 90 and SIP+D2U 100) and the
 * SRV names the TLS port actually bound; with tls off there is no SIPS record at all.
 */
const HOST = '127.0.110.30';
const CLIENT = '127.0.110.31';
const haveDig = requireTool('dig');

async function digAt(port: number, name: string, type: string): Promise<string[]> {
  const p = Bun.spawn(['dig', '-p', String(port), `@${HOST}`, '-b', CLIENT, '+tries=1', '+time=2', '+short', name, type], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.split('\n').filter((l) => l !== '');
}

async function start(transports: string): Promise<{ app: RunningAppliance; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sips-srv-'));
  const app = await startAppliance(parseConfig(`data_dir = "${dir}"
[sip]
listen = "${HOST}"
port = 0
transports = ${transports}
[sip.tls]
port = 0
[dns]
listen = "${HOST}"
port = 0
allow = ["${CLIENT}/32"]
`, 'test'));
  return { app, dir };
}

describe.skipIf(!haveDig)('DNS function: _sips._tcp', () => {
  let on: { app: RunningAppliance; dir: string };
  beforeAll(async () => {
    on = await start('["udp", "tcp", "tls"]');
  });
  afterAll(async () => {
    await on?.app.stop();
    if (on) rmSync(on.dir, { recursive: true, force: true });
  });

  test('SRV _sips._tcp names the TLS port; NAPTR orders SIPS+D2T first', async () => {
    const port = on.app.dns.udpPort!;
    const tlsPort = on.app.sip.transports.tlsPort!;
    expect(await digAt(port, '_sips._tcp.office.lan', 'SRV')).toEqual([`10 100 ${tlsPort} sip.office.lan.`]);
    expect(await digAt(port, '_sip._tcp.office.lan', 'SRV')).toEqual([`10 100 ${on.app.sip.port} sip.office.lan.`]);
    const naptr = await digAt(port, 'office.lan', 'NAPTR');
    expect(naptr).toEqual([
      '80 50 "s" "SIPS+D2T" "" _sips._tcp.office.lan.',
      '90 50 "s" "SIP+D2T" "" _sip._tcp.office.lan.',
      '100 50 "s" "SIP+D2U" "" _sip._udp.office.lan.',
    ]);
    expect(await digAt(port, 'sip.office.lan', 'A')).toEqual([HOST]);
  });

  test('with tls off there is no SIPS service', async () => {
    const off = await start('["udp"]');
    try {
      const port = off.app.dns.udpPort!;
      expect(await digAt(port, '_sips._tcp.office.lan', 'SRV')).toEqual([]);
      expect((await digAt(port, 'office.lan', 'NAPTR')).join('\n')).not.toContain('SIPS');
    } finally {
      await off.app.stop();
      rmSync(off.dir, { recursive: true, force: true });
    }
  });
});
