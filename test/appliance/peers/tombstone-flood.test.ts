import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { CONFIG_PATH } from '../../../appliance/peers/config-replication.ts';
import { peerHeaders } from '../../../appliance/peers/peer-auth.ts';
import { PEER_PATHS } from '../../../appliance/peers/peer-protocol.ts';
import { TOMBSTONE_FLOOR } from '../../../appliance/peers/tombstone-cap.ts';
import type { BindingRecord } from '../../../system/store/index.ts';
import { PeerPair, PHONE_PASSWORD, SECRET, waitFor } from './support/peer-pair.ts';

/**
 * Attack (issue 19): a peer with the group's secret floods B with tombstones for rows B never
 * had, 50,000 configuration rows and 10,000 binding removals, each request signed exactly as
 * peer A signs its own. B keeps at most TOMBSTONE_FLOOR of each (tombstone-cap.ts), logs the
 * drop once, keeps answering, and a real deletion made on A afterwards still reaches it.
 * A and B on 127.0.211.1/.2.
 */
const A = '127.0.211.1';
const B = '127.0.211.2';
let pair: PeerPair;

/** A signed request to B's peer API, as peer A sends it. */
async function asPeerA(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const text = JSON.stringify(body);
  const res = await fetch(`http://${B}:${pair.b.webPort}${path}`, { method: 'POST', body: text, headers: peerHeaders('a', SECRET, 'POST', path, text) });
  return { status: res.status, body: await res.json() };
}

function binding(contact: string, port: number): BindingRecord {
  const now = Date.now();
  return { aor: 'sip:301@office.lan', contact, expiresAt: now + 600_000, q: 1, callId: `${port}@t`, cseq: 1, source: `udp:127.0.211.10:${port}`, transport: 'udp', userAgent: 't', version: now, updatedAt: now };
}


describe('a flood of tombstones from a peer', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: [A, B], workers: [1, 1], trusted: [], extensions: [['301'], ['301']] });
    await pair.start(pair.b);
    await pair.start(pair.a);
    expect(await waitFor(() => pair.a.control!.peers.links[0]!.state === 'up' && pair.b.control!.peers.links[0]!.state === 'up', 10_000)).toBeGreaterThanOrEqual(0);
  }, 40_000);
  afterAll(async () => {
    await pair?.stop();
  });

  test('50,000 configuration tombstones for unknown rows: B keeps 1000, answers, and a real deletion still replicates', async () => {
    const t0 = Date.now();
    let capped = 0;
    for (let r = 0; r < 100; r++) {
      const rows = Array.from({ length: 500 }, (_, i) => ({ kind: 'extension', key: String(1_000_000 + r * 500 + i), t: Date.now() - 1000, origin: 'a', deleted: true }));
      const res = await asPeerA(CONFIG_PATH, { rows });
      expect(res.status).toBe(200);
      capped += res.body.capped ?? 0;
    }
    const ms = Date.now() - t0;
    const held = pair.b.control!.store.configVersions.counts().get('extension')?.tombstones;
    console.log(`50,000 unknown extension tombstones in 100 requests: ${ms} ms; B keeps ${held}, dropped ${capped}`);
    expect(held).toBe(TOMBSTONE_FLOOR);
    expect(capped).toBe(50_000 - TOMBSTONE_FLOOR);
    const events = pair.b.control!.store.events.recent(100, 'peer.tombstones.capped');
    expect(events.length).toBe(1);
    expect(events[0]!.details).toMatchObject({ peer: 'a', tables: { extension: expect.any(Number) } });
    // B still answers its peer and its admin.
    expect(pair.a.control!.peers.links[0]!.state).toBe('up');
    expect((await fetch(`http://${B}:${pair.b.webPort}/`)).status).toBe(200);
    // A real deletion on A, of a row B holds, applies although the table is over its bound.
    const onA = new ExtensionService(pair.a.control!.store, 'office.lan');
    onA.add({ number: '302', password: PHONE_PASSWORD });
    expect(await waitFor(() => pair.b.control!.store.extensions.get('302') !== undefined, 3000)).toBeGreaterThanOrEqual(0);
    onA.remove('302');
    const gone = await waitFor(() => pair.b.control!.store.extensions.get('302') === undefined, 3000);
    console.log(`a deletion on A reached B ${gone} ms later, over the bound`);
    expect(gone).toBeGreaterThanOrEqual(0);
    expect(pair.b.control!.store.configVersions.version('extension', '302')).toMatchObject({ origin: 'a', deleted: true });
  }, 60_000);

  test('10,000 binding removals for bindings B never held: B keeps 1000; a real unregister on A still removes the binding on B', async () => {
    // One binding on both members (each told by the other, as replication would).
    const held = binding('sip:301@127.0.211.10:5062', 5062);
    expect((await asPeerA(PEER_PATHS.bindings, { changes: [{ kind: 'upsert', binding: held }] })).body.applied).toBe(1);
    const text = JSON.stringify({ changes: [{ kind: 'upsert', binding: held }] });
    const toA = await fetch(`http://${A}:${pair.a.webPort}${PEER_PATHS.bindings}`, { method: 'POST', body: text, headers: peerHeaders('b', SECRET, 'POST', PEER_PATHS.bindings, text) });
    expect(toA.status).toBe(200);
    let capped = 0;
    for (let r = 0; r < 20; r++) {
      const changes = Array.from({ length: 500 }, (_, i) => ({ kind: 'remove', aor: 'sip:301@office.lan', contact: `sip:301@10.9.${r}.${i % 250}:${5000 + i}`, version: Date.now() }));
      const res = await asPeerA(PEER_PATHS.bindings, { changes });
      expect(res.status).toBe(200);
      capped += res.body.capped ?? 0;
    }
    const tombstones = pair.b.control!.store.registrations.tombstoneCount();
    console.log(`10,000 unknown binding removals: B keeps ${tombstones} tombstones, dropped ${capped}`);
    expect(tombstones).toBe(TOMBSTONE_FLOOR);
    expect(capped).toBe(10_000 - TOMBSTONE_FLOOR);
    expect(pair.b.control!.peers.tombstonesCapped.totals.get('a')?.get('binding')).toBe(capped);
    expect(pair.b.control!.store.registrations.storedVersion(held.aor, held.contact)).toBe(held.version);
    pair.a.control!.view.unregister(held.aor, held.contact);
    const ms = await waitFor(() => pair.b.control!.store.registrations.storedVersion(held.aor, held.contact) === 0, 3000);
    console.log(`an unregister on A reached B ${ms} ms later, over the bound`);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(pair.b.control!.store.registrations.removedVersion(held.aor, held.contact)).toBeGreaterThan(held.version);
  }, 60_000);
});
