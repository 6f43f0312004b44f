import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { handOffOrder } from '../../../appliance/peers/hand-off.ts';
import { cpuShareFields } from '../../../appliance/peers/peer-protocol.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { freePort, freeTcpPort } from '../../support/sipp.ts';

/**
 * A group of three (issue 19, issue 13 item 1): A, B and C on 127.0.14.x are peers of each other.
 * A hand-off asks the peers in turn until one accepts, and its one owner records what really
 * happened: a refusal is not believed to be a hand-off, and the next peer is asked.
 */
const HOSTS = { a: '127.0.14.2', b: '127.0.14.3', c: '127.0.14.4' } as const;
type Name = keyof typeof HOSTS;
const SECRET = 'peer-secret-for-the-group-of-three';
let dir: string;
const sections = {} as Record<Name, ControlSection>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hand-off-group-'));
  const ports = {} as Record<Name, { sip: number; web: number }>;
  for (const n of Object.keys(HOSTS) as Name[]) ports[n] = { sip: await freePort(HOSTS[n]), web: await freeTcpPort(HOSTS[n]) };
  // Started C, B, then A: A's first heartbeat finds both up. Heartbeats then only every 59 s, so
  // A's view of B stays the one from before B hands off (B looks able to take over, and refuses).
  for (const n of ['c', 'b', 'a'] as Name[]) {
    const others = (Object.keys(HOSTS) as Name[]).filter((o) => o !== n);
    const path = join(dir, `${n}.toml`);
    writeFileSync(path, `name = "${n}"\ndata_dir = "${dir}/${n}"\n[sip]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].sip}\ntransports = ["udp"]\n` +
      `[dns]\nenabled = false\n[web]\nlisten = "${HOSTS[n]}"\nport = ${ports[n].web}\n` +
      `[control]\nmin_workers = 1\nmax_workers = 1\nheartbeat_seconds = 60\nhand_off_mode = "forward"\n` +
      others.map((o) => `[[peers]]\nname = "${o}"\nurl = "https://${HOSTS[o]}:${ports[o].web}"\nsip = "${HOSTS[o]}:${ports[o].sip}"\nsecret = "${SECRET}"\n`).join(''));
    sections[n] = await startControlSection(loadConfig(path), { configArg: path, workerOutput: 'ignore' });
  }
  const until = Date.now() + 10_000;
  while (Date.now() < until && !sections.a.peers.links.every((l) => l.state === 'up')) await Bun.sleep(50);
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(sections)) await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hand-off in a group of three', () => {
  test('A sees both peers up and able to take over', () => {
    expect(sections.a.peers.links.map((l) => [l.name, l.state, l.lastSummary?.handedOff])).toEqual([['b', 'up', false], ['c', 'up', false]]);
    expect(sections.a.peers.handOffStatus).toMatchObject({ to: null, pending: false, lastFailureAt: null });
  });

  test('a named peer that refuses: no hand-off is believed, the refusal is recorded for the policy', async () => {
    expect((await sections.b.peers.handOff({ cause: 'admin', peer: 'c' })).ok).toBe(true);
    const r = await sections.a.peers.handOff({ cause: 'admin', peer: 'b' });
    expect(r).toMatchObject({ ok: false, attempts: [{ peer: 'b', outcome: 'refused', reason: 'handed off to c' }] });
    expect(r.message).toContain('b refused: handed off to c');
    const status = sections.a.peers.handOffStatus;
    expect(status).toMatchObject({ to: null, cause: null, pending: false, lastFailure: 'b refused: handed off to c' });
    expect(status.lastFailureAt).toBeGreaterThan(Date.now() - 5_000);
    expect(sections.a.peers.roles.handedOffTo).toBeNull();
    expect(sections.a.store.events.recent(20, 'peer.hand-off.refused').some((e) => e.message.includes('handed off to c'))).toBe(true);
  });

  test('no peer named: B refuses, C is asked next and takes over; the status says who and why', async () => {
    // The order is by load in A's last view (handOffOrder), which on a busy box is whatever the
    // samplers measured: C is made to look busier, so B, which refuses, is asked first.
    const c = sections.a.peers.links.find((l) => l.name === 'c')!;
    c.lastSummary = { ...c.lastSummary!, ...cpuShareFields(0.95) };
    expect(handOffOrder(sections.a.peers.links).map((l) => l.name)).toEqual(['b', 'c']);
    const r = await sections.a.peers.handOff({ cause: 'admin' });
    expect(r).toMatchObject({ ok: true, message: 'handed off to c' });
    expect(r.attempts).toEqual([
      { peer: 'b', outcome: 'refused', reason: 'handed off to c' },
      { peer: 'c', outcome: 'accepted', reason: 'accepted' },
    ]);
    expect(sections.a.peers.handOffStatus).toMatchObject({ to: 'c', cause: 'admin', pending: false, lastFailureAt: null });
    expect(sections.a.peers.roles.handedOffTo?.name).toBe('c');
    expect(sections.c.peers.roles.servingFor).toEqual(expect.arrayContaining(['a', 'b']));
    // A second request while handed off changes nothing.
    expect(await sections.a.peers.handOff({ cause: 'policy' })).toMatchObject({ ok: false, message: 'already handed off to c' });
  });

  test('take-back ends it for A and tells C; a hand-off to A is refused while A hands off itself', async () => {
    expect(await sections.a.peers.takeBack()).toMatchObject({ ok: true, message: 'taken back from c' });
    expect(sections.a.peers.handOffStatus).toMatchObject({ to: null, cause: null });
    const until = Date.now() + 2_000;
    while (Date.now() < until && sections.c.peers.roles.servingFor.includes('a')) await Bun.sleep(25);
    expect(sections.c.peers.roles.servingFor).not.toContain('a');
    expect(await sections.a.peers.takeBack()).toMatchObject({ ok: false, message: 'nothing was handed off' });
    expect(await sections.b.peers.takeBack()).toMatchObject({ ok: true });
  });
});
