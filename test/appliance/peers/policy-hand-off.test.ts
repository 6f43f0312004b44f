import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../../appliance/control/control-section.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { openStore } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * The overload ladder's last steps with real load (thresholds set low so a test-sized load is
 * an overload): A sheds, keeps shedding, hands new calls off to B (forwarded), and after the
 * load is gone and A stays healthy it takes them back. Every call either completes or is
 * refused at once with 503: none times out.
 */
const A = '127.0.10.2';
const B = '127.0.10.3';
const GATEWAY = '127.0.10.20';
const SECRET = 'peer-secret-for-the-policy-test';
const hasSipp = requireTool('sipp');
let dir: string;
const sections: ControlSection[] = [];
let callee: { kill: () => void; done: Promise<{ dir: string; code: number; out: string }> } | undefined;

describe.skipIf(!hasSipp)('policy-driven hand-off and take-back', () => {
  afterAll(async () => {
    callee?.kill();
    for (const s of sections) await s.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('A under sustained overload hands new calls to B, then takes them back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-hand-off-'));
    const p = { aSip: await freePort(A), bSip: await freePort(B), aWeb: await freeTcpPort(A), bWeb: await freeTcpPort(B) };
    const write = (name: string, host: string, sip: number, web: number, peer: string, peerHost: string, peerSip: number, peerWeb: number, control: string) => {
      const path = join(dir, `${name}.toml`);
      writeFileSync(path, `name = "${name}"\ndata_dir = "${dir}/${name}"\n[sip]\nlisten = "${host}"\nport = ${sip}\ntransports = ["udp"]\ntrusted = ["${GATEWAY}/32"]\n` +
        `[dns]\nenabled = false\n[web]\nlisten = "${host}"\nport = ${web}\n[control]\nsample_schedule = "*/1 * * * * *"\nheartbeat_seconds = 1\nhand_off_mode = "forward"\n${control}\n` +
        `[[peers]]\nname = "${peer}"\nurl = "https://${peerHost}:${peerWeb}"\nsip = "${peerHost}:${peerSip}"\nsecret = "${SECRET}"\n`);
      const config = loadConfig(path);
      const store = openStore(config.dataDir);
      new ExtensionService(store, config.sip.domain).add({ number: '701', password: 'Kilo-Pass-701' });
      store.close();
      return { path, config };
    };
    const a = write('a', A, p.aSip, p.aWeb, 'b', B, p.bSip, p.bWeb, [
      'min_workers = 1', 'max_workers = 1', 'scale_out_cpu_share = 0.07', 'scale_out_samples = 2', 'scale_out_window = 3',
      'scale_out_cooldown_seconds = 1', 'shed_target_cpu_share = 0.02', 'hand_off_after_samples = 3', 'take_back_after_samples = 3',
    ].join('\n'));
    const b = write('b', B, p.bSip, p.bWeb, 'a', A, p.aSip, p.aWeb, 'min_workers = 1\nmax_workers = 1');
    const cb = await startControlSection(b.config, { configArg: b.path, workerOutput: 'ignore' });
    sections.push(cb);
    const ca = await startControlSection(a.config, { configArg: a.path, workerOutput: 'ignore' });
    sections.push(ca);
    // The callee phone registers on B (trusted? no: a phone; auth with its password).
    const phone = '127.0.10.11';
    const phonePort = await freePort(phone);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '701', '-au', '701', '-ap', 'Kilo-Pass-701',
      '-key', 'expires', '3600', `${B}:${p.bSip}`, '-i', phone, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', phone, '-p', String(phonePort)], 60);
    // The registration replicated to A (its store and, in the same step, its worker), not a fixed sleep.
    const replicated = Date.now() + 10_000;
    while (Date.now() < replicated && !ca.store.registrations.loadActive().some((b) => b.aor.startsWith('sip:701@'))) await Bun.sleep(50);
    expect(ca.store.registrations.loadActive().some((b) => b.aor.startsWith('sip:701@'))).toBe(true);
    const r = await runSipp(['-sf', join(SCENARIOS, 'uac-call-or-503.xml'), '-s', '701', `${A}:${p.aSip}`, '-i', GATEWAY,
      '-t', 'un', '-max_socket', '3000', '-r', '200', '-m', '2400'], 45);
    expect(r.code).toBe(0); // completed or refused at once; no timeouts
    expect(ca.store.events.recent(50, 'peer.hand-off').some((e) => e.message.includes('handed off to b'))).toBe(true);
    expect(cb.store.events.recent(50, 'peer.remote.hand-off').length).toBeGreaterThanOrEqual(1);
    // Load gone: A is healthy again and takes the traffic back.
    const until = Date.now() + 20_000;
    while (Date.now() < until && !ca.store.events.recent(50, 'peer.take-back').length) await Bun.sleep(250);
    expect(ca.store.events.recent(50, 'peer.take-back').length).toBeGreaterThanOrEqual(1);
    expect(ca.peers.roles.handedOffTo).toBeNull();
    // Some INVITEs reached the phone through B after A forwarded them (A's Via above B's).
    callee.kill();
    const trace = await sippMessages(await callee.done);
    const esc = (h: string) => h.replace(/\./g, '\\.');
    expect(trace).toMatch(new RegExp(`INVITE [^\\r\\n]*\\r\\nVia: SIP/2\\.0/UDP ${esc(B)}:\\d+;[^\\r\\n]*\\r\\nVia: SIP/2\\.0/UDP ${esc(A)}:\\d+;`));
  }, 90_000);
});
