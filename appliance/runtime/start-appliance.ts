import cron from 'node-cron';
import { listenEndpoints, type ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import type { DnsFunction } from '../dns/index.ts';
import { startConnectionControl } from '../connection-control/connection-control.ts';
import { purgeExpiredLogged } from '../sip/registrar/registration-events.ts';
import type { RunningSip } from '../sip/start-sip.ts';
import type { TrunkService } from '../trunks/trunk-service.ts';

/** A running single-process appliance: what tests hold to stop it. */
export interface RunningAppliance {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly sip: RunningSip;
  readonly dns: DnsFunction;
  /** The trunks' registrations (undefined without `[[trunks]]`). */
  readonly trunks?: TrunkService;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: (line: string) => void;
}

/** Purges expired registrations from the store every 10 s (node-cron six-field expression). */
const PURGE_SCHEDULE = '*/10 * * * * *';

/**
 * Starts the appliance as one process holding one connection control section (tests, and
 * `[control] max_workers = 1` setups). The multi-process appliance is `startControlSection`.
 */
export async function startAppliance(config: ApplianceConfig, opts: StartOptions = {}): Promise<RunningAppliance> {
  // One process holds the only connection control section: it registers the trunks.
  const cc = await startConnectionControl(config, { workerId: 0, print: opts.log, registerTrunks: true });
  // The store's one purger in this setup (the control section's schedule in the multi-process one).
  const purge = cron.schedule(PURGE_SCHEDULE, () => purgeExpiredLogged(cc.store));
  // Stored and, through the section's logger, written to `opts.log` once.
  cc.store.events.append('appliance.start', `SIP listening on ${listenEndpoints(config.sip.listenAddresses, cc.sip.port)} (${config.sip.transports.join(', ')}) for domain ${config.sip.domain}`, {
    bindings: cc.location.size, dns: config.dns.enabled ? `${config.dns.listen}:${cc.dns.udpPort}` : 'disabled',
  });
  return {
    config, store: cc.store, sip: cc.sip, dns: cc.dns, trunks: cc.trunks,
    async stop() {
      purge.stop();
      cc.store.events.append('appliance.stop', 'appliance stopped');
      await cc.stop();
    },
  };
}
