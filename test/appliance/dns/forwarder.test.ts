import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Subprocess } from 'bun';
import { startDnsFunction, type DnsFunction } from '../../../appliance/dns/index.ts';
import { findTool, requireTool } from '../../support/require-tool.ts';
import { dig, digShort, flags, status } from './support/dig.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { tempStore, testConfig } from './support/dns-fixture.ts';

/**
 * Forwarding to a real upstream: dnsmasq on its own loopback address (127.0.0.5) with a test
 * record. Only names outside our zones are forwarded, answers are cached, ACL still applies.
 */
const ready = requireTool('dig') && requireTool('dnsmasq');
const UPSTREAM = '127.0.0.5';

describe.skipIf(!ready)('forwarder', () => {
  const t = tempStore();
  let upstream: Subprocess | undefined;
  let dns: DnsFunction;
  const upstreamPort = 20000 + Math.floor(Math.random() * 20000);

  beforeAll(async () => {
    upstream = Bun.spawn([
      findTool('dnsmasq')!, '--no-daemon', '--no-resolv', '--no-hosts', `--listen-address=${UPSTREAM}`, `--port=${upstreamPort}`,
      '--bind-interfaces', '--address=/ext.test/10.1.2.3', '--host-record=host.ext2.test,10.4.5.6', '--local-ttl=300',
      '--naptr-record=nap.ext2.test,10,50,s,SIP+D2U,,_sip._udp.nap.ext2.test',
      '--log-queries', '--log-facility=-',
    ], { stdout: 'pipe', stderr: 'pipe' });
    // Wait until dnsmasq answers (bounded).
    for (let i = 0; i < 50; i++) {
      const probe = Bun.spawn(['dig', '-p', String(upstreamPort), `@${UPSTREAM}`, '+short', '+tries=1', '+time=1', 'ext.test', 'A'], { stdout: 'pipe' });
      if ((await new Response(probe.stdout).text()).includes('10.1.2.3')) break;
      await Bun.sleep(100);
    }
    const config = testConfig(t.dir, `forwarders = ["${UPSTREAM}#${upstreamPort}"]`);
    dns = await startDnsFunction({ config, store: t.store, registrations: new MemoryContacts() });
  });
  afterAll(async () => {
    await dns?.stop();
    upstream?.kill();
    await upstream?.exited;
    t.cleanup();
  });

  test('a foreign name is forwarded: answer from upstream, RA set, AA clear', async () => {
    const out = await dig(dns.udpPort, 'www.ext.test', 'A');
    expect(status(out)).toBe('NOERROR');
    expect(out).toMatch(/www\.ext\.test\.\s+\d+\s+IN\s+A\s+10\.1\.2\.3/);
    expect(flags(out)).toContain('ra');
    expect(flags(out)).not.toContain('aa');
    expect(await digShort(dns.udpPort, 'HOST.ext2.TEST', 'A')).toEqual(['10.4.5.6']);
  });

  test('answers are cached: a second query does not reach the upstream', async () => {
    await digShort(dns.udpPort, 'cache.ext.test', 'A');
    upstream!.kill('SIGSTOP');
    try {
      expect(await digShort(dns.udpPort, 'cache.ext.test', 'A')).toEqual(['10.1.2.3']);
    } finally {
      upstream!.kill('SIGCONT');
    }
  });

  test('our own zones are never forwarded; the in-process resolve sees forwarded records too', async () => {
    expect(status(await dig(dns.udpPort, 'nothing.office.lan', 'A'))).toBe('NXDOMAIN');
    const ans = await dns.resolve('www.ext.test', 'A');
    expect(ans.authoritative).toBe(false);
    expect(ans.answers.map((r) => (r.type === 'A' ? r.address : ''))).toEqual(['10.1.2.3']);
  });

  test('a forwarded NAPTR reaches in-process callers decoded (dns2 leaves it raw; RFC 3263 §4.1 needs it)', async () => {
    const ans = await dns.resolve('nap.ext2.test', 'NAPTR');
    expect(ans.answers.map((r) => (r.type === 'NAPTR' ? `${r.order} ${r.preference} ${r.flags} ${r.services} ${r.replacement}` : r.type)))
      .toEqual(['10 50 s SIP+D2U _sip._udp.nap.ext2.test']);
  });

  test('the question case is echoed and EDNS is handled for forwarded answers', async () => {
    const out = await dig(dns.udpPort, '+noall', '+answer', 'WwW.Ext.TeSt', 'A');
    expect(out).toMatch(/^WwW\.Ext\.TeSt\.\s+\d+\s+IN\s+A\s+10\.1\.2\.3/m);
    expect(await dig(dns.udpPort, '+noedns', 'www.ext.test', 'A')).not.toMatch(/OPT PSEUDOSECTION/);
  });
});
