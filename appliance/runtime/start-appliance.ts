import cron from 'node-cron';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { openStore, type Store } from '../../system/store/index.ts';
import { startSip, type RunningSip } from '../sip/start-sip.ts';

/** A running appliance: what tests and main.ts hold to stop it. */
export interface RunningAppliance {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly sip: RunningSip;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: (line: string) => void;
}

/** Purges expired registrations every 10 s (node-cron six-field expression). */
const PURGE_SCHEDULE = '*/10 * * * * *';

/**
 * Starts the appliance in this process: store, SIP connection control section, schedules.
 * FIXME: the control section spawning worker processes comes with issue 4.
 */
export async function startAppliance(config: ApplianceConfig, opts: StartOptions = {}): Promise<RunningAppliance> {
  const print = opts.log ?? (() => {});
  const store = openStore(config.dataDir);
  const log = (kind: string, message: string, details: Record<string, unknown> = {}) => {
    store.events.append(kind, message, details);
    print(`${kind}: ${message}`);
  };
  let sip: RunningSip;
  try {
    sip = await startSip({ config, store, log });
  } catch (err) {
    store.close();
    throw err;
  }
  const purge = cron.schedule(PURGE_SCHEDULE, () => {
    const changed = sip.location.purgeExpired();
    if (changed.length > 0) print(`registrar: ${changed.length} AOR(s) had expired bindings`);
  });
  log('appliance.start', `SIP listening on ${config.sip.listen}:${sip.port} (${config.sip.transports.join(', ')}) for domain ${config.sip.domain}`, {
    bindings: sip.location.size,
  });
  return {
    config, store, sip,
    async stop() {
      purge.stop();
      await sip.stop();
      store.events.append('appliance.stop', 'appliance stopped');
      store.close();
    },
  };
}
