import { describe, expect, test } from 'bun:test';
import { Packet } from 'dns2';
import { encodeAnswer } from '../../../../appliance/dns/wire/answer-encoder.ts';
import { naptrFromRdata } from '../../../../appliance/dns/wire/naptr-rdata.ts';
import { TYPE, type ResourceRecord } from '../../../../appliance/dns/records.ts';

/** NAPTR RDATA decoding (RFC 3403 §4.1), as the forwarder needs it for RFC 3263 (dns2 has no parser). */
const cs = (s: string) => [s.length, ...Buffer.from(s, 'latin1')];
const name = (n: string) => [...n.split('.').flatMap((l) => cs(l)), 0];
const rdata = (...parts: number[][]) => new Uint8Array(parts.flat());

describe('naptrFromRdata', () => {
  const rows: { what: string; data: Uint8Array; want: ReturnType<typeof naptrFromRdata> }[] = [
    {
      what: 'a SIP+D2U record with a replacement',
      data: rdata([0, 10, 0, 50], cs('s'), cs('SIP+D2U'), cs(''), name('_sip._udp.other.example')),
      want: { type: 'NAPTR', order: 10, preference: 50, flags: 's', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.other.example' },
    },
    {
      what: 'an ENUM record with a regexp and the root as replacement',
      data: rdata([0xff, 0xff, 0, 0], cs('u'), cs('E2U+sip'), cs('!^.*$!sip:1@x!'), [0]),
      want: { type: 'NAPTR', order: 65535, preference: 0, flags: 'u', services: 'E2U+sip', regexp: '!^.*$!sip:1@x!', replacement: '' },
    },
    { what: 'upper-case replacement is lowered', data: rdata([0, 1, 0, 1], cs('S'), cs('SIPS+D2T'), cs(''), name('_SIPS._TCP.X')),
      want: { type: 'NAPTR', order: 1, preference: 1, flags: 'S', services: 'SIPS+D2T', regexp: '', replacement: '_sips._tcp.x' } },
    // Hostile upstreams: nothing that does not hold together becomes a record.
    { what: 'shorter than ORDER and PREFERENCE', data: rdata([0, 1, 0]), want: undefined },
    { what: 'a character-string running past the end', data: rdata([0, 1, 0, 1], [9, 0x73]), want: undefined },
    { what: 'no replacement', data: rdata([0, 1, 0, 1], cs('s'), cs('SIP+D2U'), cs('')), want: undefined },
    { what: 'a compression pointer as replacement (forbidden, RFC 3597 §4)', data: rdata([0, 1, 0, 1], cs('s'), cs('SIP+D2U'), cs(''), [0xc0, 0x0c]), want: undefined },
    { what: 'a label running past the end', data: rdata([0, 1, 0, 1], cs('s'), cs('SIP+D2U'), cs(''), [5, 0x61]), want: undefined },
    { what: 'trailing bytes after the name', data: rdata([0, 1, 0, 1], cs('s'), cs('SIP+D2U'), cs(''), name('a.b'), [7]), want: undefined },
  ];
  for (const r of rows) test(r.what, () => expect(naptrFromRdata(r.data)).toEqual(r.want));

  test('round trip: our encoder → dns2 parse (raw RDATA) → decoded as sent', () => {
    const rr: ResourceRecord = {
      name: 'other.example', ttl: 60, type: 'NAPTR', order: 20, preference: 5, flags: 's', services: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.other.example',
    };
    const wire = encodeAnswer('other.example', TYPE.NAPTR, 1, { rcode: 0, authoritative: true, answers: [rr], authority: [], additional: [] }, false);
    const parsed = Packet.parse(Buffer.from(wire)) as unknown as { answers: { data: Uint8Array }[] };
    const { name: _n, ttl: _t, ...data } = rr;
    expect(naptrFromRdata(parsed.answers[0].data)).toEqual(data);
  });
});
