import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDnsCore, type DnsCore } from '../../../appliance/dns/core.ts';
import { TYPE } from '../../../appliance/dns/records.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { OFFICE_RECORDS, seedRecords, tempStore, testConfig } from './support/dns-fixture.ts';
import { header, parse, query } from './support/wire.ts';

/** Bytes in, bytes out: flags, case echo, EDNS(0), truncation, errors, the ready-bytes cache. */
describe('wire handler', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  const contacts = new MemoryContacts();
  let core: DnsCore;
  const ask = async (msg: Uint8Array, client = '127.0.0.1', transport: 'udp' | 'tcp' = 'udp') => core.wire.handle(msg, client, transport);

  beforeAll(() => {
    seedRecords(t.store, config, OFFICE_RECORDS);
    core = createDnsCore({ config, registrations: contacts });
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
  });
  afterAll(() => {
    core.stop();
    t.cleanup();
  });

  test('answers with QR, AA, the query ID and RD echoed; RA clear without forwarders', async () => {
    const out = (await ask(query('printer.office.lan', TYPE.A, { id: 0xbeef })))!;
    expect(header(out)).toMatchObject({ id: 0xbeef, qr: true, aa: true, rd: true, ra: false, rcode: 0, an: 1 });
  });

  test('the answer echoes the question case, also when served from the cache', async () => {
    for (const spelling of ['PrInTeR.office.LAN', 'printer.OFFICE.lan']) {
      const out = (await ask(query(spelling, TYPE.A)))!;
      const p = parse(out);
      expect(p.questions[0].name).toBe(spelling);
      expect(p.answers[0].name).toBe(spelling);
    }
    expect(core.wire.stats.cacheHits).toBeGreaterThan(0);
  });

  test('no OPT without EDNS; OPT with our size when the query has one (RFC 6891 §7)', async () => {
    expect(header((await ask(query('printer.office.lan', TYPE.A)))!).ar).toBe(0);
    const out = (await ask(query('printer.office.lan', TYPE.A, { edns: 4096 })))!;
    const opt = parse(out).additionals.find((r: { type: number }) => r.type === 41) as { class: number } | undefined;
    expect(opt?.class).toBe(1232);
  });

  test('an answer over 512 bytes is truncated without EDNS and whole with EDNS 4096 or TCP', async () => {
    const small = (await ask(query('big.office.lan', TYPE.TXT)))!;
    expect(header(small)).toMatchObject({ tc: true, an: 0 });
    expect(small.length).toBeLessThanOrEqual(512);
    const large = (await ask(query('big.office.lan', TYPE.TXT, { edns: 4096 })))!;
    expect(header(large)).toMatchObject({ tc: false, an: 1 });
    const tcp = (await ask(query('big.office.lan', TYPE.TXT), '127.0.0.1', 'tcp'))!;
    expect(header(tcp)).toMatchObject({ tc: false, an: 1 });
  });

  test('an unknown EDNS version gets BADVERS (RFC 6891 §6.1.3)', async () => {
    const out = (await ask(query('printer.office.lan', TYPE.A, { edns: 1232, ednsVersion: 1 })))!;
    expect(header(out).rcode).toBe(0);
    expect(out[out.length - 6]).toBe(1); // extended RCODE high bits in the OPT TTL
  });

  test('a response (QR=1) is dropped; a short packet is dropped', async () => {
    const resp = query('printer.office.lan', TYPE.A);
    resp[2] |= 0x80;
    expect(await ask(resp)).toBeUndefined();
    expect(await ask(new Uint8Array(5))).toBeUndefined();
  });

  test('two questions get FORMERR; a NOTIFY opcode gets NOTIMP; class CH gets REFUSED', async () => {
    const two = query('printer.office.lan', TYPE.A);
    two[5] = 2;
    expect(header((await ask(two))!).rcode).toBe(1);
    const notify = query('office.lan', TYPE.SOA);
    notify[2] = 4 << 3;
    expect(header((await ask(notify))!).rcode).toBe(4);
    expect(header((await ask(query('version.bind', TYPE.TXT, { qclass: 3 })))!).rcode).toBe(5);
  });

  test('clients outside dns.allow get REFUSED, even for cached names', async () => {
    await ask(query('printer.office.lan', TYPE.A));
    expect(header((await ask(query('printer.office.lan', TYPE.A), '203.0.113.9'))!).rcode).toBe(5);
  });

  // The wire handler is the ACL's one owner (the chain has no ACL step): every client kind.
  for (const [client, allowed] of [['8.8.8.8', false], ['203.0.113.10', false], ['2001:db8::1', false], ['10.9.8.7', true], ['192.168.1.20', true], ['172.16.0.9', true], ['::1', true]] as const) {
    test(`printer.office.lan A from ${client}: ${allowed ? 'answered' : 'REFUSED'}`, async () => {
      const answer = (await ask(query('printer.office.lan', TYPE.A), client))!;
      expect(header(answer).rcode).toBe(allowed ? 0 : 5);
      expect(parse(answer).answers.length).toBe(allowed ? 1 : 0);
    });
  }

  test('a registration change invalidates the cached answer of that name', async () => {
    contacts.register('301', '192.168.1.31');
    expect(parse((await ask(query('301.office.lan', TYPE.A)))!).answers[0].address).toBe('192.168.1.31');
    expect(parse((await ask(query('301.office.lan', TYPE.A)))!).answers[0].address).toBe('192.168.1.31');
    contacts.register('301', '192.168.1.32');
    contacts.unregister('301', '192.168.1.31');
    expect(parse((await ask(query('301.office.lan', TYPE.A)))!).answers.map((a) => (a as unknown as { address: string }).address)).toEqual(['192.168.1.32']);
    contacts.unregister('301');
    expect(header((await ask(query('301.office.lan', TYPE.A)))!).rcode).toBe(3);
  });

  test('a store reload invalidates every cached answer', async () => {
    await ask(query('printer.office.lan', TYPE.A));
    t.store.dnsRecords.removeMatching('printer.office.lan', 'A', '192.168.1.50');
    core.load(t.store.dnsRecords.list(), t.store.extensions.list());
    expect(header((await ask(query('printer.office.lan', TYPE.A)))!).an).toBe(0);
  });
});
