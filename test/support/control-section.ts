import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { startControlSection, type ControlSection } from '../../appliance/control/control-section.ts';
import { loadConfig, type ApplianceConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { freePort } from './sipp.ts';

/** A control section with real worker processes, its config file and data in a temp directory. */
export interface TestControlSection {
  control: ControlSection;
  readonly config: ApplianceConfig;
  readonly configPath: string;
  readonly dir: string;
  /** The shared SIP port (UDP and TCP). */
  readonly port: number;
  /** Starts a new control section on the same config (a restart), replacing `control`. */
  restart(): Promise<ControlSection>;
  stop(): Promise<void>;
}

/** What a test sets; the rest is the same in every worker-process test. */
export interface TestControlOptions {
  /** Shared SIP port; default a free one on `host`. */
  readonly port?: number;
  /** Extra `[sip]` lines (e.g. `trusted = [...]`); transports default to UDP. */
  readonly sip?: string;
  /** Extra tables after `[sip]`, e.g. `[sip.tls]\nport = 5061`. */
  readonly tables?: string;
  /** `[control]` lines; default two workers. */
  readonly control?: string;
  /** `[sip] listen` addresses instead of `host` alone (dual stack: e.g. [host, '::1']); the port must be free on each. */
  readonly listen?: readonly string[];
  /** `[dns]` lines; default `enabled = false`. */
  readonly dns?: string;
  /** Extensions to create before start: number → password. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/**
 * Writes the config (SIP on `host`, DNS off unless `dns` says otherwise, web on a free port), creates the extensions in the
 * store, and starts the control section with its workers, whose output is ignored.
 */
export async function startTestControlSection(host: string, opts: TestControlOptions = {}): Promise<TestControlSection> {
  const dir = mkdtempSync(join(tmpdir(), 'control-test-'));
  const port = opts.port ?? await freePort(host);
  const configPath = join(dir, 'appliance.toml');
  const sip = opts.sip ?? '';
  writeFileSync(configPath, `data_dir = "${dir}/data"
[sip]
listen = ${opts.listen ? JSON.stringify(opts.listen) : `"${host}"`}
port = ${port}
${/^transports\s*=/m.test(sip) ? '' : 'transports = ["udp"]\n'}${sip}
${opts.tables ?? ''}
[dns]
${opts.dns ?? 'enabled = false'}
[web]
listen = "${host}"
port = 0
[control]
${opts.control ?? 'min_workers = 2\nmax_workers = 2'}
`);
  const config = loadConfig(configPath);
  const store = openStore(config.dataDir);
  const ext = new ExtensionService(store, config.sip.domain);
  for (const [number, password] of Object.entries(opts.extensions ?? {})) ext.add({ number, password });
  store.close();
  const start = () => startControlSection(config, { configArg: configPath, workerOutput: 'ignore' });
  const t: TestControlSection = {
    control: await start(),
    config, configPath, dir, port,
    async restart() {
      t.control = await start();
      return t.control;
    },
    async stop() {
      await t.control.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
