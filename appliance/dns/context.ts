import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Forwarder } from './forwarder-client.ts';
import type { RegistrationIndex } from './registration-index.ts';
import type { ZoneData } from './zone-data.ts';
import type { ServedZones } from './zones.ts';

/** What resolver factories get: config and zones are fixed, data changes under them. */
export interface DnsContext {
  readonly config: ApplianceConfig;
  readonly zones: ServedZones;
  readonly data: ZoneData;
  readonly registrations: RegistrationIndex;
  /** Undefined when no forwarders are configured (then foreign names are REFUSED). */
  readonly forwarder?: Forwarder;
}

/** The part of the context that record builders need (usable without a running function). */
export type DataContext = Pick<DnsContext, 'config' | 'zones' | 'data'>;
