import { describe, expect, test } from 'bun:test';
import { bindingDestination } from '../../../../appliance/sip/registrar/binding-destination.ts';
import type { Destination } from '../../../../appliance/sip/transport/transport.ts';
import type { BindingRecord } from '../../../../system/store/index.ts';

const b = (contact: string, source: string, behindNat?: boolean): BindingRecord => ({
  aor: 'sip:201@office.lan', contact, expiresAt: 1e13, q: 1, callId: 'c', cseq: 1, source, transport: source.split(':')[0],
  userAgent: '', version: 1, updatedAt: 1, ...(behindNat ? { behindNat } : {}),
});

describe('bindingDestination: a registered phone is reached where it registered from (RFC 5626 §5.3)', () => {
  const rows: [string, BindingRecord, Destination | undefined][] = [
    ['UDP behind NAT: the source, from the shared port', b('sip:201@10.9.9.9:5060', 'udp:127.0.130.2:40000', true),
      { transport: 'udp', address: '127.0.130.2', port: 40000, fromShared: true }],
    ['UDP on the LAN: the source too, from the shared port', b('sip:201@127.0.130.2:5062', 'udp:127.0.130.2:5062'),
      { transport: 'udp', address: '127.0.130.2', port: 5062, fromShared: true }],
    ['TCP on the LAN: its connection, else a new one to the Contact', b('sip:201@127.0.130.2:5062;transport=tcp', 'tcp:127.0.130.2:51000'),
      { transport: 'tcp', address: '127.0.130.2', port: 5062, connection: '127.0.130.2:51000' }],
    ['TCP behind NAT: its connection only, never a new one (nor to the private Contact)', b('sip:201@10.9.9.9:5060;transport=tcp', 'tcp:127.0.130.2:51000', true),
      { transport: 'tcp', address: '127.0.130.2', port: 51000, connection: '127.0.130.2:51000', flowOnly: true }],
    ['TCP with a host-name Contact: its connection, else its source', b('sip:201@phone.office.lan;transport=tcp', 'tcp:127.0.130.2:51000'),
      { transport: 'tcp', address: '127.0.130.2', port: 51000, connection: '127.0.130.2:51000' }],
    ['a broken source: nowhere', b('sip:201@127.0.130.2', 'carrier-pigeon'), undefined],
  ];
  for (const [name, binding, want] of rows) test(name, () => expect(bindingDestination(binding)).toEqual(want));
});
