import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { loadSipCertificate } from '../sip/transport/tls-certificate.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * The first `[control] min_workers` connection control sections, running. SIP over TLS: the
 * certificate is made (or loaded) before, once, so every worker serves the same one. When they
 * do not start, the pool is stopped and the store closed (`orShutDown`).
 */
export async function startFirstWorkers(config: ApplianceConfig, pool: WorkerPool, store: Store, print: (line: string) => void): Promise<void> {
  if (config.sip.transports.includes('tls')) {
    const sipCert = await loadSipCertificate(config);
    print(`sip: TLS certificate ${sipCert.certPath}${sipCert.createdNow ? ' (generated now)' : ''}, SHA-256 fingerprint ${sipCert.fingerprint}`);
  }
  for (let i = 0; i < config.control.minWorkers; i++) pool.spawn();
  await orShutDown(pool, store, () => pool.waitRunning(config.control.minWorkers));
}

/** A step of the start that, failing, leaves nothing running: the workers stopped, the store closed, the error thrown on. */
export async function orShutDown<T>(pool: Pick<WorkerPool, 'stop'>, store: Pick<Store, 'close'>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await pool.stop();
    store.close();
    throw err;
  }
}
