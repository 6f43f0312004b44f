import { describe, expect, test } from 'bun:test';
import { ownSipHost, ownSipTarget } from '../../../appliance/dns/index.ts';
import { sipCertificateNames } from '../../../appliance/sip/transport/tls-certificate.ts';
import { parseConfig } from '../../../system/config/index.ts';

/**
 * This appliance's SRV target `sip.<zone>` has one builder (issue 13 item 7; it was written out
 * in zone-data.ts, tls-certificate.ts and the provisioning route): the SRV records, the
 * generated certificate and what the phones are told (test/appliance/web/api.test.ts) agree.
 */
const ZONES: [zone: string | undefined, host: string][] = [
  [undefined, 'sip.office.lan'],
  ['branch.example.com', 'sip.branch.example.com'],
  ['lan', 'sip.lan'],
];

describe('the own SIP target host', () => {
  test.each(ZONES)('zone %p → %p', (zone, host) => {
    const config = parseConfig(`data_dir = "/tmp/x"\n[sip]\nlisten = "127.0.213.1"\ndomain = "office.lan"\n${zone ? `[dns]\nzone = "${zone}"\n` : ''}`, 'test');
    expect(ownSipHost(config)).toBe(host);
    expect(ownSipTarget(config).host).toBe(host);
    expect(sipCertificateNames(config)).toContain(host);
  });
});
