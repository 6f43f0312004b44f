import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { sipProbe } from '../../support/fuzz-wire.ts';
import { requireTool } from '../../support/require-tool.ts';
import { removeShim, resultRows, runSipvicious } from '../../support/sipvicious.ts';
import { freePort, runSipp, SCENARIOS } from '../../support/sipp.ts';

/**
 * SIPVicious (svmap, svwar, svcrack; Debian package `sipvicious`) run against a real
 * appliance on 127.0.50.5 with extension 201 registered (by sipp), 202 existing but not
 * registered, and 205 unknown. Each run comes from an address of its own, bounded by the
 * tool's options and killed at a deadline.
 * - svmap may find the server (it answers OPTIONS): printed, not asserted.
 * - svwar, with REGISTER, OPTIONS and INVITE, must enumerate nothing. svwar first asks for a
 *   random user, then reports an extension whose answer's status line differs from that one
 *   (and gives up at the first answer it cannot place), so each extension gets a run of its
 *   own: an empty result for 201, 202 and 205 means their answers matched an unknown user's.
 * - svcrack against 201, the right password 16th in its list, must be banned within its first
 *   attempts: it does not find the password, a `sip.ban` event names its address, and that
 *   address then gets no answer or 403 to a REGISTER (never a new challenge).
 */
const HOST = '127.0.50.5';
const PHONE = '127.0.50.10';
const SVMAP = '127.0.50.31';
const SVCRACK = '127.0.50.35';
const METHODS = ['REGISTER', 'OPTIONS', 'INVITE'] as const;
/** 201 registered, 202 existing but not registered, 205 unknown. */
const EXTENSIONS = ['201', '202', '205'] as const;
const PW = 'Quartz-Lantern-8842';
const WRONG_BEFORE_RIGHT = 15;
const hasTools = requireTool('svwar') && requireTool('svmap') && requireTool('svcrack') && requireTool('sipp');

let ap: TestAppliance;
let dir: string;

describe.skipIf(!hasTools)('sipvicious against the appliance', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipvicious-'));
    ap = await startTestAppliance(HOST);
    ap.addExtension('201', PW);
    ap.addExtension('202', 'Other-Secret-5521');
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '201', '-au', '201', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${ap.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
  }, 30_000);
  afterAll(async () => {
    removeShim();
    await ap?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the registration is in place (201 registered, 202 not)', () => {
    expect(ap.app.sip.location.bindings('sip:201@office.lan').length).toBe(1);
    expect(ap.app.sip.location.bindings('sip:202@office.lan').length).toBe(0);
  });

  // The tool runs are concurrent: each comes from an address of its own (a ban is per source, and
  // svcrack's is looked for by its address), and each mostly waits on its own timeouts (svcrack
  // 3 s of --maximumtime then its socket's fixed 10 s). One after another they took 28 s.
  test.concurrent('svmap: finds the server or not (reported)', async () => {
    const run = await runSipvicious('svmap', ['-p', String(ap.port), '-P', String(await freePort(SVMAP)), '-t', '0.05', HOST], 20, SVMAP);
    console.log(`svmap (${run.seconds.toFixed(1)} s): ${JSON.stringify(resultRows(run.out))}`);
    expect(run.killed).toBe(false);
  }, 30_000);

  test.concurrent.each(METHODS)('svwar -m %s enumerates none of 201 (registered), 202 (not registered), 205 (unknown)', async (method) => {
    // One run per extension, in parallel, each from its own address (127.0.50.40-48).
    const runs = await Promise.all(EXTENSIONS.map(async (ext, i) => {
      const src = `127.0.50.${40 + METHODS.indexOf(method) * 3 + i}`;
      return runSipvicious('svwar', ['-m', method, '-e', ext, '--force', '--domain', 'office.lan', '-p', String(ap.port),
        '-P', String(await freePort(src)), '-t', '0.05', '--maximumtime', '3', '-vv', HOST], 25, src);
    }));
    const found = runs.flatMap((r) => resultRows(r.out));
    EXTENSIONS.forEach((ext, i) => {
      const baseline = /Bad user = (.*)/.exec(runs[i].out)?.[1] ?? 'no answer to a random user';
      console.log(`svwar -m ${method} -e ${ext} (${runs[i].seconds.toFixed(1)} s${runs[i].killed ? ', killed' : ''}): unknown user answered "${baseline}"; found ${JSON.stringify(resultRows(runs[i].out))}`);
    });
    expect(found).toEqual([]);
  }, 40_000);

  test.concurrent('svcrack against 201 is banned within its first attempts', async () => {
    const words = [...Array.from({ length: WRONG_BEFORE_RIGHT }, (_, i) => `guess-${i}`), PW, 'after-1', 'after-2'];
    const dictionary = join(dir, 'passwords.txt');
    writeFileSync(dictionary, `${words.join('\n')}\n`);
    const run = await runSipvicious('svcrack', ['-u', '201', '-d', dictionary, '--domain', 'office.lan',
      '-p', String(ap.port), '-P', String(await freePort(SVCRACK)), '-t', '0.05', '--maximumtime', '3', HOST], 20, SVCRACK);
    const found = resultRows(run.out);
    console.log(`svcrack (${run.seconds.toFixed(1)} s${run.killed ? ', killed at the deadline' : ''}): found ${JSON.stringify(found)}`);
    const bans = ap.app.store.events.recent(50, 'sip.ban');
    console.log(`sip.ban events: ${JSON.stringify(bans.map((b) => b.message))}`);
    // The right password came 16th: a ban within the first attempts means svcrack never tried it.
    expect(found).toEqual([]);
    expect(run.out).not.toContain(PW);
    expect(bans.some((b) => JSON.stringify(b).includes(SVCRACK))).toBe(true);
    // The banned address is not challenged again: silence, or 403.
    const answer = await sipProbe(HOST, ap.port, SVCRACK, { method: 'REGISTER', ruri: 'sip:office.lan', from: 'sip:201@office.lan', to: 'sip:201@office.lan' });
    console.log(`a REGISTER from the svcrack address afterwards: ${answer ?? 'no answer'}`);
    if (answer !== undefined) expect(answer).toMatch(/^SIP\/2\.0 403 /);
    // Other sources are served as before: a REGISTER without credentials is challenged.
    expect(await sipProbe(HOST, ap.port, '127.0.50.36', { method: 'REGISTER', ruri: 'sip:office.lan', from: 'sip:202@office.lan', to: 'sip:202@office.lan' })).toMatch(/^SIP\/2\.0 401 /);
  }, 40_000);
});
