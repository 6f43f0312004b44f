import cron from 'node-cron';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { openStore, type Store } from '../../system/store/index.ts';
import { startDnsFunction, type DnsFunction } from '../dns/index.ts';
import { createLocator } from '../sip/proxy/locator.ts';
import { LocationView } from '../sip/registrar/location-view.ts';
import { registeredContactsOf } from '../sip/registrar/registered-contacts-view.ts';
import { startSip, type RunningSip } from '../sip/start-sip.ts';

/** A running appliance: what tests and main.ts hold to stop it. */
export interface RunningAppliance {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly sip: RunningSip;
  readonly dns: DnsFunction;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: (line: string) => void;
}

/** Purges expired registrations every 10 s (node-cron six-field expression). */
const PURGE_SCHEDULE = '*/10 * * * * *';

/**
 * Starts the appliance in this process: store, location view, DNS function, SIP connection
 * control section, schedules. FIXME: spawning connection control sections as worker
 * processes is the control section's job (issue 4); today one runs in this process.
 */
export async function startAppliance(config: ApplianceConfig, opts: StartOptions = {}): Promise<RunningAppliance> {
  const print = opts.log ?? (() => {});
  const store = openStore(config.dataDir);
  const log = (kind: string, message: string, details: Record<string, unknown> = {}) => {
    store.events.append(kind, message, details);
    print(`${kind}: ${message}`);
  };
  const started: { stop(): Promise<void> }[] = [];
  try {
    const location = new LocationView(store.registrations);
    location.load();
    const dns = await startDnsFunction({ config, store, registrations: registeredContactsOf(location, config.sip.domain), log: print });
    started.push(dns);
    const locate = createLocator({
      lookup: (ident) => dns.lookupIdentification(ident),
      location,
      extension: (n) => store.extensions.get(n),
      extensionByE164: (e) => store.extensions.findByE164(e),
      domain: config.sip.domain,
      mode: config.sip.mode,
      tcp: config.sip.transports.includes('tcp'),
    });
    const sip = await startSip({ config, store, log, location, locate });
    started.push(sip);
    // The SRV records name the port actually bound (it differs from the config when that said 0).
    dns.setSipTargets([{ host: `sip.${config.dns.zone}`, address: config.sip.advertise, port: sip.port, priority: 10, weight: 100 }]);
    const purge = cron.schedule(PURGE_SCHEDULE, () => {
      const changed = location.purgeExpired();
      if (changed.length > 0) print(`registrar: ${changed.length} AOR(s) had expired bindings`);
    });
    log('appliance.start', `SIP listening on ${config.sip.listen}:${sip.port} (${config.sip.transports.join(', ')}) for domain ${config.sip.domain}`, {
      bindings: location.size, dns: config.dns.enabled ? `${config.dns.listen}:${dns.udpPort}` : 'disabled',
    });
    return {
      config, store, sip, dns,
      async stop() {
        purge.stop();
        await sip.stop();
        await dns.stop();
        store.events.append('appliance.stop', 'appliance stopped');
        store.close();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    store.close();
    throw err;
  }
}
