import { afterEach, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerService } from '../../../appliance/peers/peer-service.ts';
import { servedZones } from '../../../appliance/dns/zones.ts';
import { parseConfig } from '../../../system/config/index.ts';
import { ConfigVersionsStore, migrate } from '../../../system/store/index.ts';

/**
 * The situation switch without a peer that can take over (issue 19): the real peer service on
 * a data directory; the one peer configured listens nowhere (127.1.29.250:1). Without any peer the
 * switch is refused; with one that does not answer it is on (and kept in the data directory),
 * the hand-off waits, and a restart reads it back.
 */
const services: PeerService[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function service(dir: string, peers: boolean): { peers: PeerService; logged: string[] } {
  const config = parseConfig(`data_dir = "${dir}"\nname = "a"\n`
    + (peers ? `[[peers]]\nname = "b"\nurl = "http://127.1.29.250:1"\nsip = "127.1.29.250:5060"\nsecret = "a-secret-of-sixteen+"\n` : ''), 'test');
  const db = new Database(':memory:');
  migrate(db);
  const logged: string[] = [];
  const p = new PeerService({
    config, summary: () => ({ name: 'a', ts: Date.now(), overloaded: false, workers: 1, activeCalls: 0, handedOff: false }),
    applyRemote: () => 0, localBindings: () => [], onRoles: () => {}, configVersions: new ConfigVersionsStore(db), onConfigApplied: () => {},
    configRules: () => ({ origins: new Set(['a', 'b']), realm: 'office.lan', emergencyNumbers: [], maxAheadMs: 60_000, zones: servedZones(config) }),
    bindingRules: { domain: 'office.lan', maxExpiresSeconds: 3600, maxContacts: 5, extensionExists: () => false, currentBindings: () => [] },
    log: (kind, message) => void logged.push(`${kind}: ${message}`),
  });
  services.push(p);
  return { peers: p, logged };
}

describe('the situation switch with no peer to take over', () => {
  test('no peers configured: refused, nothing kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moves-'));
    dirs.push(dir);
    const { peers } = service(dir, false);
    expect(await peers.moves.setSituation(true, 'UPS on battery', 'api')).toEqual({ ok: false, message: 'no peers configured ([[peers]]): there is nowhere to evacuate to' });
    expect(peers.moves.status.situation).toBeNull();
    expect(existsSync(join(dir, 'situation.json'))).toBe(false);
  });

  test('a peer that is not up: on and kept, no hand-off believed; a restart reads it back; off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moves-'));
    dirs.push(dir);
    const first = service(dir, true);
    const on = await first.peers.moves.setSituation(true, 'UPS on battery', 'cli');
    expect(on.ok).toBe(true);
    expect(on.message).toContain('no peer took over yet');
    expect(first.peers.handOffStatus).toMatchObject({ to: null, holds: [] });
    expect(first.logged.some((l) => l.startsWith('peer.situation: evacuate this box switched on by cli: UPS on battery'))).toBe(true);
    first.peers.stop();
    const again = service(dir, true);
    expect(again.peers.moves.status.situation).toMatchObject({ reason: 'UPS on battery', by: 'cli' });
    await again.peers.moves.resume();
    expect(again.logged.some((l) => l.includes('still switched on after a restart'))).toBe(true);
    expect(await again.peers.moves.setSituation(false, '', 'cli')).toEqual({ ok: true, message: 'evacuation switched off: serving new traffic here' });
    expect(service(dir, true).peers.moves.status.situation).toBeNull();
  });
});
