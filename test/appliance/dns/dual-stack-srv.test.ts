import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, type RunningAppliance } from '../../../appliance/runtime/start-appliance.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * The SIP target of a dual-stack appliance in the DNS function (RFC 3263 §4.2, issue 11 IPv6):
 * `sip.<zone>`, the SRV target, has an A record for the IPv4 and an AAAA record for the IPv6
 * address it advertises, so a phone that only has IPv6 finds it too; asked with dig from
 * 127.0.160.7 (appliance on 127.0.160.6 and [::1]).
 */
const HOST = '127.0.160.6';
const CLIENT = '127.0.160.7';
const haveDig = requireTool('dig');

async function digAt(port: number, name: string, type: string, extra: string[] = []): Promise<string[]> {
  const p = Bun.spawn(['dig', '-p', String(port), `@${HOST}`, '-b', CLIENT, '+tries=1', '+time=2', ...extra, name, type], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.split('\n').filter((l) => l !== '');
}

describe.skipIf(!haveDig)('DNS function: the SIP target of a dual-stack appliance', () => {
  let app: RunningAppliance;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dual-stack-srv-'));
    app = await startAppliance(parseConfig(`data_dir = "${dir}"
[sip]
listen = ["${HOST}", "::1"]
port = 0
transports = ["udp", "tcp"]
[dns]
listen = "${HOST}"
port = 0
allow = ["${CLIENT}/32"]
`, 'test'));
  });
  afterAll(async () => {
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('sip.office.lan: A for the IPv4 and AAAA for the IPv6 address; SRV carries both as additional data', async () => {
    const port = app.dns.udpPort!;
    expect(await digAt(port, 'sip.office.lan', 'A', ['+short'])).toEqual([HOST]);
    expect(await digAt(port, 'sip.office.lan', 'AAAA', ['+short'])).toEqual(['::1']);
    expect(await digAt(port, '_sip._udp.office.lan', 'SRV', ['+short'])).toEqual([`10 100 ${app.sip.port} sip.office.lan.`]);
    const additional = (await digAt(port, '_sip._udp.office.lan', 'SRV', ['+noall', '+additional'])).map((l) => l.split(/\s+/).slice(3).join(' '));
    expect(additional.sort()).toEqual([`A ${HOST}`, 'AAAA ::1']);
  });
});
