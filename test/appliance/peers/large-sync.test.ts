import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import type { BindingChange } from '../../../system/store/index.ts';
import { PeerPair, PHONE_PASSWORD, waitFor } from './support/peer-pair.ts';

/**
 * A full sync larger than one request (issue 19): A and B each hold the same 400 extensions (a
 * row ~400 bytes; each member's own versions, so each sends all 400 to the other), and A 400
 * bindings (~330 bytes), before they first see each other. The peer API takes at most 64 KiB a request
 * (appliance/web/body-limit.ts), so batches of 500 rows (~200 KiB) were refused with 413 and the
 * sync never finished; the sender now cuts batches by size too (peer-batches.ts). A and B on
 * 127.0.211.7/.8.
 */
const N = 400;
let pair: PeerPair;
const numbers = Array.from({ length: N }, (_, i) => String(4000 + i));

beforeAll(async () => {
  pair = await PeerPair.prepare({ hosts: ['127.0.211.7', '127.0.211.8'], workers: [1, 1], extensions: [[], []], trusted: [] });
  for (const m of [pair.a, pair.b]) {
    pair.withStore(m, (store) => {
      const svc = new ExtensionService(store, 'office.lan');
      for (const n of numbers) svc.add({ number: n, password: PHONE_PASSWORD, displayName: `Desk ${n} on the second floor` });
    });
  }
  pair.withStore(pair.a, (store) => {
    const now = Date.now();
    store.registrations.apply(numbers.map((n, i): BindingChange => ({ kind: 'upsert', binding: {
      aor: `sip:${n}@office.lan`, contact: `sip:${n}@127.0.211.20:${10_000 + i};transport=udp`, expiresAt: now + 3_600_000, q: 1,
      callId: `a84b4c76e66710${i}@127.0.211.20`, cseq: 3, source: `udp:127.0.211.20:${10_000 + i}`, transport: 'udp',
      userAgent: 'Yealink SIP-T46S 66.86.0.15', version: now, updatedAt: now } })));
  });
  await pair.start(pair.a);
  await pair.start(pair.b);
}, 60_000);

afterAll(async () => {
  await pair?.stop();
});

describe('a full sync of more than 64 KiB', () => {
  test(`${N} configuration rows each way and ${N} bindings: the syncs finish`, async () => {
    const synced = (m: typeof pair.a) => m.control!.store.events.recent(200, 'peer.config.synced').find((e) => (e.details.rows as number) >= N);
    const ms = await waitFor(() => synced(pair.a) !== undefined && synced(pair.b) !== undefined && pair.b.control!.store.registrations.countActive() === N, 15_000);
    console.log(`${N} configuration rows each way and ${N} bindings to B: ${ms} ms after B started`);
    expect(ms).toBeGreaterThanOrEqual(0);
    // Each extension ends with the same version on both (the greater origin's, "b").
    for (const n of numbers.slice(0, 5)) expect(pair.a.control!.store.configVersions.version('extension', n)).toEqual(pair.b.control!.store.configVersions.version('extension', n));
    for (const m of [pair.a, pair.b]) {
      expect(m.control!.store.events.recent(200, 'peer.config.send-failed')).toEqual([]);
      expect(m.control!.store.events.recent(200, 'peer.sync-failed')).toEqual([]);
    }
  }, 40_000);
});
