import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { parseArgs } from '../../../appliance/cli/cli-args.ts';
import { trunkCommand } from '../../../appliance/cli/trunk-command.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../../support/kamailio-provider.ts';
import { requireTool } from '../../support/require-tool.ts';

/**
 * Trunks with real worker processes (issue 14): exactly one worker (slot 0) registers, its
 * status reaches the control section over the IPC, and `trunk list` shows it from there.
 */
const HAVE = requireTool('kamailio') && kamailioBinary() !== undefined;
const HOST = '127.0.180.4';
const PROVIDER = '127.0.180.2';
const PASSWORD = 'Trunk-Pass-Workers-1';

describe.skipIf(!HAVE)('trunks on a control section with two workers', () => {
  let provider: KamailioProvider;
  let t: TestControlSection;
  beforeAll(async () => {
    provider = await startKamailioProvider({ address: PROVIDER, port: 5066, domain: 'provider.example', username: '5551230000', password: PASSWORD, maxExpires: 3600 });
    t = await startTestControlSection(HOST, {
      tables: `[[trunks]]\nname = "provider"\nregistrar = "${PROVIDER}:5066"\nusername = "5551230000"\ndomain = "provider.example"\npassword = "${PASSWORD}"\n` +
        `[[trunks]]\nname = "gateway"\nregistrar = "192.0.2.10"\nusername = "office"\nregister = false\n[emergency]\ntrunk = "provider"\n`,
    });
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await provider?.stop();
  });

  test('up in the control section\'s view; one worker registered, once', async () => {
    const until = Date.now() + 10_000;
    while (t.control.view.trunks()[0].state !== 'up' && Date.now() < until) await Bun.sleep(50);
    const [trunk, gateway] = t.control.view.trunks();
    expect(trunk).toMatchObject({ name: 'provider', state: 'up', registrar: `${PROVIDER}:5066` });
    expect(Math.round((trunk.expiresAt! - Date.now()) / 1000)).toBeGreaterThan(3500);
    expect(gateway).toMatchObject({ name: 'gateway', state: 'static' });
    // Two workers, one registration: a second registering worker would show a second line.
    await Bun.sleep(1500);
    expect(provider.log().match(/provider: registered/g)?.length).toBe(1);
    expect(t.control.store.events.recent(50, 'trunk.registered').length).toBe(1);
  });

  test('CLI trunk list: name, state, reason, expiry, registrar from the running appliance', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const config = { ...t.config, web: { ...t.config.web, port: t.control.webPort } };
    await trunkCommand.run(parseArgs(['trunk', 'list']), config, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(err).toEqual([]);
    expect(out[0]).toMatch(new RegExp(`^provider\\tup\\t-\\texpires in 3[0-9]{3} s\\t${PROVIDER.replace(/\./g, '\\.')}:5066\\tconfig$`));
    expect(out[1]).toBe('gateway\tstatic\t-\t-\t192.0.2.10\tconfig');
    expect(out.join('\n')).not.toContain(PASSWORD);
  });

  test('CLI trunk list with the appliance unreachable: the configured trunks, state unknown, and why', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const config = { ...t.config, web: { ...t.config.web, port: 1 } };
    await trunkCommand.run(parseArgs(['trunk', 'list']), config, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(out).toEqual([`provider\tunknown\t-\t-\t${PROVIDER}:5066\tconfig`, 'gateway\tstatic\t-\t-\t192.0.2.10\tconfig']);
    expect(err[0]).toStartWith('state unknown: cannot reach the appliance');
  });
});
