import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { seedExtension, tempStore } from './support/dns-fixture.ts';

/** `dns add|list|remove` through the real CLI entry (appliance/cli/dns-command.ts). */
describe('dns CLI', () => {
  const t = tempStore();
  const configFile = join(t.dir, 'appliance.toml');
  writeFileSync(configFile, `data_dir = "${t.dir}"\n[sip]\nlisten = "192.168.1.10"\ndomain = "office.lan"\n[dns]\nzone = "office.lan"\n`);
  seedExtension(t.store, '201', '+15551234567');
  afterAll(() => t.cleanup());

  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--config', configFile, 'dns', ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('add validates and stores; names are relative to the office zone', async () => {
    expect(await cli('add', 'printer', 'A', '192.168.1.50')).toMatchObject({ code: 0, out: expect.stringMatching(/^added \d+\tprinter\.office\.lan\t60\tA\t192\.168\.1\.50$/) });
    expect((await cli('add', '_ldap._tcp', 'SRV', '10', '50', '389', 'printer.office.lan', '--ttl', '120')).out).toMatch(/SRV\t10 50 389 printer\.office\.lan\.$/);
    expect((await cli('add', 'note', 'TXT', '"two words"')).code).toBe(0);
  });

  const bad: [string[], RegExp][] = [
    [['add', 'printer', 'A', '300.1.1.1'], /A value must be an IPv4 address/],
    [['add', 'printer', 'AAAA', '192.168.1.1'], /AAAA value must be an IPv6 address/],
    [['add', 'bad_name!', 'A', '10.0.0.1'], /invalid name/],
    [['add', 'x', 'SRV', '10', '50', 'printer'], /SRV value must be "priority weight port target"/],
    [['add', 'x', 'SRV', '10', '50', '99999', 'printer'], /invalid port/],
    [['add', 'x', 'MX', '10 mail'], /unsupported record type "MX"/],
    [['add', 'www.example.com.', 'A', '10.0.0.1'], /outside the zones/],
    [['add', 'printer', 'CNAME', 'other.office.lan'], /must be the only record/],
    [['add', 'printer', 'A', '192.168.1.50'], /already exists/],
    [['add', 'x', 'A', '10.0.0.1', '--ttl', 'soon'], /--ttl needs a number/],
    [['add', 'printer'], /dns add needs/],
    [['remove', '9999'], /no DNS record with id 9999/],
    [['frobnicate'], /unknown dns command/],
  ];
  for (const [argv, message] of bad) {
    test(`rejects: dns ${argv.join(' ')}`, async () => {
      const r = await cli(...argv);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    });
  }

  test('list shows admin records with ids and derived records marked', async () => {
    const { out } = await cli('list');
    expect(out).toMatch(/^\d+\tprinter\.office\.lan\t60\tA\t192\.168\.1\.50$/m);
    expect(out).toMatch(/^\(sip-service\)\t_sip\._udp\.office\.lan\t60\tSRV\t10 100 5060 sip\.office\.lan\.$/m);
    expect(out).toMatch(/^\(enum\)\t7\.6\.5\.4\.3\.2\.1\.5\.5\.5\.1\.e164\.arpa\t60\tNAPTR\t100 10 "u" "E2U\+sip" "!\^\.\*\$!sip:201@office\.lan!" \.$/m);
    expect(out).toMatch(/^\(admin A\/AAAA\)\t50\.1\.168\.192\.in-addr\.arpa\t60\tPTR\tprinter\.office\.lan\.$/m);
  });

  test('remove by name, type and value, and by id', async () => {
    expect((await cli('remove', 'printer', 'A', '192.168.1.50')).code).toBe(0);
    const id = /^(\d+)\tnote/m.exec((await cli('list')).out)![1];
    expect((await cli('remove', id)).out).toMatch(/^removed \d+\tnote\.office\.lan\tTXT/);
    expect((await cli('list')).out).not.toMatch(/printer\.office\.lan\t60\tA/);
  });
});
