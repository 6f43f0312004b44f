import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startDnsFunction, type DnsFunction } from '../../../appliance/dns/index.ts';
import { DnsAdminService } from '../../../appliance/dns/admin-records.ts';
import { RingGroupService } from '../../../appliance/admin/ring-group-service.ts';
import { requireTool } from '../../support/require-tool.ts';
import { dig, digShort, status } from './support/dig.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { seedExtension, tempStore, testConfig } from './support/dns-fixture.ts';

/** `<group>.<zone>` names this appliance (issue 15): dig on the DNS function (127.0.0.1, port 0). */
const haveDig = requireTool('dig');

describe.skipIf(!haveDig)('ring group names in DNS', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  let dns: DnsFunction;
  let port = 0;
  const groups = new RingGroupService(t.store);

  beforeAll(async () => {
    seedExtension(t.store, '201', null);
    groups.add({ number: '600', members: ['201'] });
    dns = await startDnsFunction({ config, store: t.store, registrations: new MemoryContacts() });
    port = dns.udpPort;
  });
  afterAll(async () => {
    await dns.stop();
    t.cleanup();
  });

  test('600.office.lan is the appliance\'s advertised SIP address; a number that is no group is NXDOMAIN', async () => {
    expect(await digShort(port, '600.office.lan', 'A')).toEqual(['192.168.1.10']);
    expect(await digShort(port, '600.office.lan', 'A', '+tcp')).toEqual(['192.168.1.10']);
    expect(status(await dig(port, '600.office.lan', 'AAAA'))).toBe('NOERROR'); // the name exists: NODATA
    expect(status(await dig(port, '601.office.lan', 'A'))).toBe('NXDOMAIN');
  });

  test('a group added or removed in the store appears and goes after a reload; the admin list shows it derived', async () => {
    groups.add({ number: '610', members: ['201'] });
    dns.invalidate();
    expect(await digShort(port, '610.office.lan', 'A')).toEqual(['192.168.1.10']);
    expect(new DnsAdminService(t.store, config).list().filter((r) => r.derived === 'ring group').map((r) => `${r.name} ${r.type} ${r.value}`))
      .toEqual(['600.office.lan A 192.168.1.10', '610.office.lan A 192.168.1.10']);
    groups.remove('610');
    dns.invalidate();
    expect(status(await dig(port, '610.office.lan', 'A'))).toBe('NXDOMAIN');
  });

  test('attack: hostile names next to a group name are not answered from it (case, deeper labels)', async () => {
    expect(await digShort(port, '600.OFFICE.lan', 'A')).toEqual(['192.168.1.10']);
    expect(status(await dig(port, 'x.600.office.lan', 'A'))).toBe('NXDOMAIN');
    expect(status(await dig(port, '600.office.lan.evil.example', 'A'))).toBe('REFUSED');
  });
});
