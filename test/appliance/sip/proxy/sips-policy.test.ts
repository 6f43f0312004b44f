import { describe, expect, test } from 'bun:test';
import { sipsTargets } from '../../../../appliance/sip/proxy/sips-policy.ts';
import type { Target } from '../../../../appliance/sip/proxy/targets.ts';

const t = (transport: 'udp' | 'tcp' | 'tls'): Target => ({ uri: `sip:201@10.0.0.9;transport=${transport}`, dest: { transport, address: '10.0.0.9', port: 5060 } });

describe('sipsTargets (RFC 5630, RFC 3261 §26.2.2)', () => {
  const rows: [string, string, Target[], boolean, unknown][] = [
    ['sip: request: every target', 'sip:201@office.lan', [t('udp'), t('tls')], true, { kind: 'send', targets: [t('udp'), t('tls')] }],
    ['sip: request without TLS: unchanged', 'sip:201@office.lan', [t('udp')], false, { kind: 'send', targets: [t('udp')] }],
    ['sips: request: TLS targets only', 'sips:201@office.lan', [t('udp'), t('tls'), t('tcp')], true, { kind: 'send', targets: [t('tls')] }],
    ['SIPS: scheme in capitals counts', 'SIPS:201@office.lan', [t('udp')], true, { kind: 'reply', status: 480 }],
    ['sips: request, no TLS target: 480', 'sips:201@office.lan', [t('udp'), t('tcp')], true, { kind: 'reply', status: 480 }],
    ['sips: request, TLS off: 416', 'sips:201@office.lan', [t('tls')], false, { kind: 'reply', status: 416 }],
  ];
  for (const [name, ruri, targets, tls, want] of rows) test(name, () => expect(sipsTargets(ruri, targets, tls)).toMatchObject(want as object));
});
