import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { peerHeaders } from '../../../appliance/peers/peer-auth.ts';
import { PEER_PATHS } from '../../../appliance/peers/peer-protocol.ts';
import type { BindingChange, BindingRecord } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS } from '../../support/sipp.ts';
import { digA, PeerPair, SECRET, waitFor, workerBindings } from './support/peer-pair.ts';

/**
 * Issue 10 finding 9, as an attack: an authenticated peer (the real HMAC of peer-auth.ts)
 * sends bindings for names that are not our extensions (`wpad`), beyond `max_expires`, beyond
 * the contact limit, with a header-breaking contact. B (127.0.30.2) applies only what its
 * own registrar would have accepted: the rogue names get no DNS answer and INVITEs to them are
 * not relayed. The full sync a real peer A (127.0.30.1) sends when it comes up passes the same
 * checks. Loopback only.
 */
const A = '127.0.30.1';
const B = '127.0.30.2';
const GATEWAY = '127.0.30.20';
const ROGUE = '127.0.30.66';
const MAX_EXPIRES = 3600;
const hasTools = requireTool('sipp') && requireTool('dig');

let pair: PeerPair;
let roguePort: number;
let rogue: dgram.Socket;
const rogueReceived: string[] = [];

function binding(aor: string, contact: string, source: string, over: Partial<BindingRecord> = {}): BindingRecord {
  const now = Date.now();
  return {
    aor, contact, expiresAt: now + 600_000, q: 1, callId: `${Math.random()}@rogue`, cseq: 1, source, transport: 'udp',
    userAgent: 'rogue', version: now, updatedAt: now, ...over,
  };
}

/** A signed request to B's peer API, exactly as peer A would send it. */
async function sendAsPeerA(changes: unknown[]): Promise<{ status: number; body: any }> {
  const text = JSON.stringify({ changes });
  const res = await fetch(`http://${B}:${pair.b.webPort}${PEER_PATHS.bindings}`, {
    method: 'POST', body: text, headers: peerHeaders('a', SECRET, 'POST', PEER_PATHS.bindings, text),
  });
  return { status: res.status, body: await res.json() };
}

const bStore = () => pair.b.control!.store.registrations.loadActive();
const bOf = (aor: string) => bStore().filter((x) => x.aor === aor);

describe.skipIf(!hasTools)('rogue bindings from a peer', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({
      hosts: [A, B], workers: [1, 2], trusted: [GATEWAY], maxExpires: MAX_EXPIRES,
      // 399 exists only on A: B must refuse its bindings.
      extensions: [['301', '302', '399'], ['301', '302']],
    });
    roguePort = await freePort(ROGUE);
    rogue = dgram.createSocket('udp4');
    rogue.on('message', (m) => rogueReceived.push(m.toString('latin1')));
    await new Promise<void>((r) => rogue.bind(roguePort, ROGUE, () => r()));
    // A's store already holds what A's full sync will offer B: a year-long binding, 12 contacts
    // for one AOR, and an extension B does not have.
    const year = Date.now() + 365 * 86_400_000;
    // Extensions replicate (issue 19): 399's version row is taken out of A's replicated
    // configuration, so B still lacks the extension when A's bindings for it arrive.
    pair.withStore(pair.a, (store) => store.db.query("DELETE FROM config_versions WHERE kind = 'extension' AND key = '399'").run());
    pair.withStore(pair.a, (store) => store.registrations.apply([
      { kind: 'upsert', binding: binding('sip:301@office.lan', `sip:301@127.0.30.11:5062`, 'udp:127.0.30.11:5062', { expiresAt: year }) },
      ...Array.from({ length: 12 }, (_, i): BindingChange => ({
        kind: 'upsert', binding: binding('sip:302@office.lan', `sip:302@127.0.30.12:${6000 + i}`, `udp:127.0.30.12:${6000 + i}`),
      })),
      { kind: 'upsert', binding: binding('sip:399@office.lan', 'sip:399@127.0.30.13:5062', 'udp:127.0.30.13:5062') },
    ]));
    await pair.start(pair.b);
    await pair.start(pair.a);
    expect(await waitFor(() => pair.b.control!.peers.links[0].state === 'up' && pair.a.control!.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
  }, 40_000);
  afterAll(async () => {
    rogue?.close();
    await pair?.stop();
  });

  test('the full sync from a real peer passes the same checks: clamped, limited, known extensions only', async () => {
    expect(await waitFor(() => bOf('sip:302@office.lan').length > 0 && bOf('sip:301@office.lan').length > 0, 8000)).toBeGreaterThanOrEqual(0);
    const [b301] = bOf('sip:301@office.lan');
    expect(b301.expiresAt).toBeLessThanOrEqual(Date.now() + MAX_EXPIRES * 1000);
    expect(bOf('sip:302@office.lan')).toHaveLength(10); // the registrar's contact limit
    expect(bOf('sip:399@office.lan')).toHaveLength(0);
    // Every worker of B holds the same: 10 contacts of 302 each, nothing for 399.
    expect(await workerBindings(pair.b, 'sip:302@office.lan')).toEqual({ workers: 2, bindings: 20 });
    expect(await workerBindings(pair.b, 'sip:399@office.lan')).toEqual({ workers: 2, bindings: 0 });
    const [event] = pair.b.control!.store.events.recent(10, 'peer.bindings.rejected');
    expect(event.details).toMatchObject({ peer: 'a', reasons: { 'too-many-contacts': 2, 'unknown-extension': 1 } });
    // A itself keeps its own data: the checks are on what a peer receives.
    expect(pair.a.control!.store.registrations.loadActive().filter((x) => x.aor === 'sip:302@office.lan')).toHaveLength(12);
  }, 20_000);

  test('a signed rogue batch: only the valid binding is applied, the wpad name is not created, INVITEs to it are not relayed', async () => {
    const rogueContact = `sip:wpad@${ROGUE}:${roguePort}`;
    const rogueSource = `udp:${ROGUE}:${roguePort}`;
    const before = (await digA(pair.b, 'wpad.office.lan')).status;
    expect(before).toBe('NXDOMAIN');
    const eventsBefore = pair.b.control!.store.events.recent(50, 'peer.bindings.rejected').length;
    const year = Date.now() + 365 * 86_400_000;
    const { status, body } = await sendAsPeerA([
      { kind: 'upsert', binding: binding('sip:wpad@office.lan', rogueContact, rogueSource, { expiresAt: year }) },
      { kind: 'upsert', binding: binding('sip:wpad@OFFICE.LAN', rogueContact, rogueSource) },
      { kind: 'upsert', binding: binding('sip:298@office.lan', `sip:298@${ROGUE}:${roguePort}`, rogueSource) },
      { kind: 'upsert', binding: binding('sip:301@evil.example', `sip:301@${ROGUE}:${roguePort}`, rogueSource) },
      { kind: 'upsert', binding: binding('sip:301@office.lan', `sip:301@${ROGUE}:${roguePort}\r\nX-Injected: 1`, rogueSource) },
      { kind: 'upsert', binding: binding('sip:301@office.lan', `sip:301@${ROGUE}:${roguePort}`, `udp:evil.example:${roguePort}`) },
      // The one a correct peer may send (a phone of 301 that registered at A), with a forged year-long expiry.
      { kind: 'upsert', binding: binding('sip:301@office.lan', 'sip:301@127.0.30.14:5062', 'udp:127.0.30.14:5062', { expiresAt: year }) },
    ]);
    expect(status).toBe(200);
    expect(body).toEqual({ applied: 1, rejected: 6 });

    // Not in B's store, not in any of B's workers.
    expect(bOf('sip:wpad@office.lan')).toHaveLength(0);
    expect(bStore().some((x) => x.contact.includes(ROGUE))).toBe(false);
    expect(await workerBindings(pair.b, 'sip:wpad@office.lan')).toEqual({ workers: 2, bindings: 0 });
    const valid = bOf('sip:301@office.lan').find((x) => x.source === 'udp:127.0.30.14:5062');
    expect(valid?.expiresAt).toBeLessThanOrEqual(Date.now() + MAX_EXPIRES * 1000);
    expect(await waitFor(async () => (await workerBindings(pair.b, 'sip:301@office.lan')).bindings === 4, 2000)).toBeGreaterThanOrEqual(0);

    // The DNS function publishes no wpad name (dig through the real socket).
    expect((await digA(pair.b, 'wpad.office.lan')).status).toBe('NXDOMAIN');
    // An INVITE for wpad (from a trusted gateway, so only routing decides) gets 404, nothing reaches the rogue address.
    const r = await runSipp(['-sf', join(SCENARIOS, 'uac-expect-404.xml'), '-s', 'wpad', `${B}:${pair.b.sipPort}`, '-i', GATEWAY,
      '-t', 'un', '-max_socket', '100', '-m', '6', '-r', '6'], 15);
    if (r.code !== 0) console.log(r.out.slice(-3000));
    expect(r.code).toBe(0);
    await Bun.sleep(200);
    expect(rogueReceived).toEqual([]);

    // One event for the batch (with its reasons) ...
    const events = pair.b.control!.store.events.recent(50, 'peer.bindings.rejected');
    expect(events.length).toBeLessThanOrEqual(eventsBefore + 1);
    // ... and a peer sending junk in a loop writes no more rows (rate limited), though every refusal is counted.
    for (let i = 0; i < 20; i++) await sendAsPeerA([{ kind: 'upsert', binding: binding('sip:wpad@office.lan', rogueContact, rogueSource) }]);
    expect(pair.b.control!.store.events.recent(50, 'peer.bindings.rejected').length).toBe(events.length);
    expect(pair.b.control!.peers.rejections.totals.get('a')?.['foreign-aor']).toBeGreaterThanOrEqual(22);
  }, 30_000);

  test('an unsigned or wrongly signed batch is refused before any check', async () => {
    const text = JSON.stringify({ changes: [{ kind: 'upsert', binding: binding('sip:301@office.lan', `sip:301@${ROGUE}:${roguePort}`, `udp:${ROGUE}:${roguePort}`) }] });
    const url = `http://${B}:${pair.b.webPort}${PEER_PATHS.bindings}`;
    expect((await fetch(url, { method: 'POST', body: text })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body: text, headers: peerHeaders('a', 'a-wrong-secret-of-enough-length', 'POST', PEER_PATHS.bindings, text) })).status).toBe(401);
    expect(bStore().some((x) => x.contact.includes(ROGUE))).toBe(false);
  });
});
