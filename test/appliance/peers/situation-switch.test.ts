import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../appliance/cli/run-cli.ts';
import { CONTROL_TOKEN_FILE } from '../../../appliance/control/command-channel.ts';
import type { EventRecord } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, SCENARIOS, sippMessages, startSipp, startSippUas } from '../../support/sipp.ts';
import { ApiClient } from '../web/support/web-fixture.ts';
import { PeerPair, waitFor } from './support/peer-pair.ts';

/**
 * The situation switch (issue 19), two appliances on 127.1.29.12 (A) and .13 (B), A forwarding
 * its new traffic when handed off. A phone (.14) registered on B answers calls a trusted gateway
 * (.20) places through A at 10 calls/s (60 calls, 800 ms each). Midway the admin switches on
 * "evacuate this box" on A: no call fails; the calls after it reach the phone through B.
 * Attacks on the API route and the CLI command are refused.
 */
const A = '127.1.29.12';
const B = '127.1.29.13';
const PHONE = '127.1.29.14';
const GATEWAY = '127.1.29.20';
const CALLS = 60;
const hasSipp = requireTool('sipp');
let pair: PeerPair;
let api: ApiClient;
const io = () => {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
};
const aEvents = (kind: string): EventRecord[] => pair.a.control!.store.events.recent(200, kind).filter((e) => e.kind === kind);

describe.skipIf(!hasSipp)('the situation switch', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({
      hosts: [A, B], workers: [1, 1], extensions: [['701'], ['701']], trusted: [GATEWAY],
      control: ['hand_off_mode = "forward"', 'hand_off_mode = "forward"'],
    });
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 5000)).toBeGreaterThanOrEqual(0);
    api = new ApiClient(`http://${A}:${pair.a.webPort}`);
    expect((await api.json('POST', '/api/setup', { token: a.webSetupToken, password: 'Evacuate-Admin-9#kQ' })).status).toBe(201);
  }, 30_000);

  afterAll(async () => {
    await pair?.stop();
  });

  test('the API route: no session, no CSRF token, bad bodies are refused; nothing moves', async () => {
    const anonymous = new ApiClient(api.base);
    expect((await anonymous.call('POST', '/api/peers/situation', { on: true, reason: 'x' })).status).toBe(401);
    expect((await api.call('POST', '/api/peers/situation', { on: true, reason: 'x' }, { 'X-CSRF-Token': 'forged' })).status).toBe(403);
    expect((await api.call('POST', '/api/peers/situation', { on: true, reason: 'x' }, { 'X-CSRF-Token': '' })).status).toBe(403);
    const bad = [
      [{ on: 'yes', reason: 'x' }, 'on'], [{ on: true }, 'reason'], [{ on: true, reason: '   ' }, 'reason'],
      [{ on: true, reason: 'a'.repeat(201) }, 'reason'], [{ on: true, reason: 'line\nbreak' }, 'reason'], [{ on: true, reason: 'x', peer: 'b' }, 'peer'],
    ] as const;
    for (const [body, field] of bad) {
      const r = await api.json('POST', '/api/peers/situation', body);
      expect(r.status).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
    // A form post (the CSRF vector) is not JSON: refused before anything happens.
    expect((await api.call('POST', '/api/peers/situation', new TextEncoder().encode('on=true&reason=x'), { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(400);
    expect((await api.json('POST', '/api/peers/situation', { on: false })).status).toBe(409);
    expect(pair.a.control!.peers.handOffStatus.to).toBeNull();
    expect(pair.a.control!.peers.moves.status.situation).toBeNull();
  });

  test('the CLI command: a reason is required, a wrong control token is refused, the command channel wants its token', async () => {
    const out = io();
    expect(await runCli(['--config', pair.a.path, 'peer', 'evacuate'], out)).toBe(64); // EX_USAGE
    expect(out.lines.join('\n')).toContain('needs a reason');
    const tokenFile = join(pair.a.config.dataDir, CONTROL_TOKEN_FILE);
    const token = readFileSync(tokenFile, 'utf8');
    writeFileSync(tokenFile, 'f'.repeat(token.trim().length));
    try {
      expect(await runCli(['--config', pair.a.path, 'peer', 'evacuate', 'forged'], io())).toBe(1);
    } finally {
      writeFileSync(tokenFile, token);
    }
    const direct = await fetch(`http://${A}:${pair.a.webPort}/control/situation`, { method: 'POST', body: JSON.stringify({ on: true, reason: 'x' }) });
    expect(direct.status).toBe(401);
    expect(pair.a.control!.peers.moves.status.situation).toBeNull();
    // The real thing: on, then off.
    const on = io();
    expect(await runCli(['--config', pair.a.path, 'peer', 'evacuate', 'UPS', 'on', 'battery'], on)).toBe(0);
    expect(on.lines).toEqual(['evacuating: new traffic handed off to b']);
    expect(pair.a.control!.peers.moves.status.situation).toMatchObject({ reason: 'UPS on battery', by: 'cli' });
    expect(await runCli(['--config', pair.a.path, 'peer', 'take-back'], io())).toBe(1); // the switch holds it
    expect(await runCli(['--config', pair.a.path, 'peer', 'return'], io())).toBe(0);
    expect(pair.a.control!.peers.handOffStatus.to).toBeNull();
    expect(await runCli(['--config', pair.a.path, 'peer', 'return'], io())).toBe(1); // already off
  }, 20_000);

  test(`evacuating under a call load: no failed call of ${CALLS}, new calls go through the peer`, async () => {
    const phonePort = await pair.register(pair.b, '701', PHONE);
    expect(await waitFor(() => pair.a.control!.store.registrations.loadActive().some((r) => r.aor === 'sip:701@office.lan'), 2000)).toBeGreaterThanOrEqual(0);
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 60);
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', '701', `${A}:${pair.a.sipPort}`, '-i', GATEWAY,
      '-p', String(await freePort(GATEWAY)), '-m', String(CALLS), '-r', '10', '-d', '800', '-l', '20'], 40);
    await Bun.sleep(2000);
    const on = await api.json('POST', '/api/peers/situation', { on: true, reason: 'building power work' });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ ok: true, handOff: { to: 'b', cause: 'situation' }, moves: { situation: { reason: 'building power work', by: 'api' } } });
    const r = await caller.done;
    callee.kill();
    const trace = await sippMessages(await callee.done);
    const failed = Number(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(r.out)?.[1] ?? NaN);
    const esc = (h: string) => h.replace(/\./g, '\\.');
    const invites = trace.split(/\n(?=-{5,}|INVITE )/).filter((m) => /^INVITE sip:/m.test(m));
    const viaB = invites.filter((m) => new RegExp(`Via: SIP/2\\.0/UDP ${esc(B)}:\\d+;[^\\r\\n]*\\r?\\nVia: SIP/2\\.0/UDP ${esc(A)}:`).test(m)).length;
    console.log(`evacuation under load: ${CALLS} calls, sipp exit ${r.code}, failed ${failed}; INVITEs at the phone ${invites.length}, through B ${viaB}`);
    expect(r.code).toBe(0);
    expect(failed).toBe(0);
    expect(viaB).toBeGreaterThan(0);
    expect(viaB).toBeLessThan(invites.length); // the first calls went A → phone directly
    // Every move in the event log with its cause.
    expect(aEvents('peer.situation')[0]).toMatchObject({ details: { on: true, reason: 'building power work', by: 'api' } });
    expect(aEvents('peer.hand-off')[0]).toMatchObject({ details: { peer: 'b', cause: 'situation' } });
    // Evacuating, A refuses B's traffic; the admin's take-back is refused while the switch is on.
    expect(await pair.b.control!.peers.handOff({ cause: 'admin', peer: 'a' })).toMatchObject({ ok: false, message: expect.stringContaining('evacuating (building power work)') });
    expect((await api.json('POST', '/api/control/take-back')).status).toBe(409);
    const off = await api.json('POST', '/api/peers/situation', { on: false, reason: 'power back' });
    expect(off.body).toMatchObject({ ok: true, handOff: { to: null }, moves: { situation: null } });
    expect(aEvents('peer.take-back')[0]).toMatchObject({ details: { peer: 'b', cause: 'situation' } });
    expect(aEvents('peer.situation')[0].message).toContain('switched off by api: power back');
  }, 60_000);

  test('the switch survives a restart of the appliance', async () => {
    expect((await api.json('POST', '/api/peers/situation', { on: true, reason: 'move to the new rack' })).status).toBe(200);
    await pair.stopMember(pair.a);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.handOffStatus.to === 'b', 5000)).toBeGreaterThanOrEqual(0);
    expect(a.peers.handOffStatus.cause).toBe('situation');
    expect(a.peers.moves.status.situation?.reason).toBe('move to the new rack');
    expect((await a.peers.moves.setSituation(false, '', 'test')).ok).toBe(true);
    expect(a.peers.handOffStatus.to).toBeNull();
  }, 30_000);
});
