import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDnsFunction, type DnsFunction } from '../../../appliance/dns/index.ts';
import { checkDomainName } from '../../../appliance/dns/record-input.ts';
import { TYPE } from '../../../appliance/dns/records.ts';
import { decodeQuery } from '../../../appliance/dns/wire/query-decoder.ts';
import { scanResponse } from '../../../appliance/dns/wire/response-scan.ts';
import { ValidationError } from '../../../system/errors/index.ts';
import { MemoryContacts } from './support/memory-contacts.ts';
import { OFFICE_RECORDS, seedRecords, tempStore, testConfig } from './support/dns-fixture.ts';
import { header, query } from './support/wire.ts';

/**
 * The shared corpus of real and fuzzed DNS messages (/work/shared/testdata/dns, see its
 * SOURCES.md): every packet as direct decoder input and over UDP; the server must stay up,
 * drop responses, answer malformed queries with FORMERR or not at all, and do bounded work.
 */
const CORPUS = '/work/shared/testdata/dns';
const WIRE_DIRS = ['powerdns-raw-dns-packets', 'mooncell-queries', 'c-ares-fuzzinput'];
const present = existsSync(CORPUS);
if (!present) console.warn(`skipping DNS corpus tests: ${CORPUS} is absent (shared test data not mounted)`);

const files = present ? WIRE_DIRS.flatMap((d) => readdirSync(join(CORPUS, d)).map((f) => join(CORPUS, d, f))) : [];
const MAX_UDP_PAYLOAD = 65507;

describe.skipIf(!present)('bad packets', () => {
  const t = tempStore();
  const config = testConfig(t.dir);
  let dns: DnsFunction;

  beforeAll(async () => {
    seedRecords(t.store, config, OFFICE_RECORDS);
    dns = await startDnsFunction({ config, store: t.store, registrations: new MemoryContacts() });
  });
  afterAll(async () => {
    await dns.stop();
    t.cleanup();
  });

  test('the corpus is there', () => {
    expect(files.length).toBeGreaterThan(80);
  });

  test('every packet as direct decoder input: no throw, bounded time, responses dropped', () => {
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const started = performance.now();
      const q = decodeQuery(bytes);
      scanResponse(bytes);
      expect(performance.now() - started).toBeLessThan(50);
      if (bytes.length >= 3 && bytes[2] & 0x80) expect(q.kind).toBe('drop');
    }
  });

  test('every packet sent over UDP; only requests get answers, and only FORMERR/NOTIMP/REFUSED', async () => {
    const sock = createSocket('udp4');
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    let requests = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      if (bytes.length > MAX_UDP_PAYLOAD) continue;
      if (bytes.length >= 3 && !(bytes[2] & 0x80)) requests++;
      await new Promise<void>((r) => sock.send(bytes, dns.udpPort, '127.0.0.1', () => r()));
    }
    // A good query afterwards must still be answered.
    const good = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to a good query after the corpus')), 3000);
      sock.on('message', (m) => {
        if (m.readUInt16BE(0) === 0x4242) { clearTimeout(timer); resolve(m); }
      });
      sock.send(query('printer.office.lan', TYPE.A, { id: 0x4242 }), dns.udpPort, '127.0.0.1');
    });
    sock.close();
    expect(header(good)).toMatchObject({ rcode: 0, an: 1, aa: true });
    const others = replies.filter((m) => m.readUInt16BE(0) !== 0x4242);
    expect(others.length).toBeLessThanOrEqual(requests);
    for (const m of others) {
      expect([1, 4, 5]).toContain(header(m).rcode);
      expect(m.length).toBeLessThanOrEqual(512);
    }
  });

  test('every packet through the wire handler with every transport: never throws', async () => {
    const { wire } = (await import('../../../appliance/dns/core.ts')).createDnsCore({ config, registrations: new MemoryContacts() });
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      for (const transport of ['udp', 'tcp'] as const) await wire.handle(bytes.subarray(0, 0xffff), '127.0.0.1', transport);
    }
  });

  test('text names from the c-ares name fuzzer: valid or a ValidationError, nothing else', () => {
    const dir = join(CORPUS, 'c-ares-fuzznames-text');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8').trim();
      try {
        checkDomainName(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
      }
    }
  });
});
