import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ApplianceConfig } from '../../system/config/index.ts';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { startAppliance, type RunningAppliance } from '../../appliance/runtime/start-appliance.ts';

/** A test appliance on its own loopback address, its data in a temp directory. */
export interface TestAppliance {
  readonly app: RunningAppliance;
  readonly config: ApplianceConfig;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  addExtension(number: string, password: string, e164?: string): void;
  stop(): Promise<void>;
}

/** TOML fragments for a test appliance: extra [sip] keys, the [dns] table's keys, the domain. */
export interface TestOptions {
  /** Extra [sip] keys (a `transports` line replaces the default UDP and TCP), then tables such as `[sip.tls]`. */
  readonly sip?: string;
  /** Keys of the [dns] table; default: DNS disabled on the wire (in-process lookups only). */
  readonly dns?: string;
  readonly domain?: string;
  /** `[sip] listen` addresses instead of `host` alone (dual stack: e.g. [host, '::1']). */
  readonly listen?: readonly string[];
}

/** Starts an appliance in this process on `host` (a 127.x address), SIP on a free port. */
export async function startTestAppliance(host: string, opts: TestOptions = {}): Promise<TestAppliance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'appliance-test-'));
  const toml = `data_dir = "${dataDir}"
[sip]
listen = ${opts.listen ? JSON.stringify(opts.listen) : `"${host}"`}
port = 0
domain = "${opts.domain ?? 'office.lan'}"
${/^transports\s*=/m.test(opts.sip ?? '') ? '' : 'transports = ["udp", "tcp"]\n'}${opts.sip ?? ''}
[dns]
${opts.dns ?? 'enabled = false'}
`;
  const config = parseConfig(toml, 'test');
  const app = await startAppliance(config);
  const service = new ExtensionService(app.store, config.sip.domain);
  return {
    app, config, host, port: app.sip.port, dataDir,
    addExtension: (number, password, e164) => {
      service.add({ number, password, e164 });
      // Writes on this connection do not move SQLite's data_version: tell the DNS function,
      // as the admin API does after a change (the CLI, another process, is picked up by polling).
      app.dns.invalidate();
    },
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
