import type { ApplianceConfig } from '../../system/config/index.ts';
import type { DnsRecordRow, ExtensionRecord } from '../../system/store/index.ts';
import { ask, buildChain, questionType } from './chain.ts';
import type { DnsContext } from './context.ts';
import { Forwarder } from './forwarder-client.ts';
import type { DnsAnswer, Handler } from './handler.ts';
import { lookupIdentification, type IdentificationTarget } from './identification.ts';
import type { RegisteredContacts } from './registered-contacts.ts';
import { RegistrationIndex } from './registration-index.ts';
import { WireHandler } from './wire-handler.ts';
import { ZoneData, type SipTarget } from './zone-data.ts';
import { servedZones } from './zones.ts';

/** Inputs of the socket-free core. */
export interface DnsCoreDeps {
  readonly config: ApplianceConfig;
  readonly registrations: RegisteredContacts;
  readonly log?: (line: string) => void;
}

/**
 * The DNS function without sockets: the resolver chain, its data and the wire handler (bytes
 * in, bytes out). Tests drive it directly; index.ts puts UDP/TCP edges and the store around it.
 */
export interface DnsCore {
  readonly context: DnsContext;
  readonly chain: Handler;
  readonly wire: WireHandler;
  /** Answers a question as the wire would (for an in-process, trusted caller). */
  resolve(name: string, type: string | number, client?: string): Promise<DnsAnswer>;
  lookupIdentification(ident: string): Promise<IdentificationTarget[]>;
  /** Replaces the store-backed data (admin records, extensions, ring group numbers). */
  load(rows: readonly DnsRecordRow[], extensions: readonly ExtensionRecord[], groups?: readonly string[]): void;
  setSipTargets(targets: readonly SipTarget[]): void;
  stop(): void;
}

/** Builds the core; call `load` before answering from the store's data. */
export function createDnsCore(deps: DnsCoreDeps): DnsCore {
  const { config, log } = deps;
  const zones = servedZones(config);
  const data = new ZoneData(config, zones);
  const forwarder = config.dns.forwarders.length > 0 ? new Forwarder(config.dns.forwarders, log) : undefined;
  let wire: WireHandler | undefined;
  const registrations = new RegistrationIndex(deps.registrations, zones.office, (names) => data.changed(names));
  const context: DnsContext = { config, zones, data, registrations, forwarder };
  const chain = buildChain(context);
  wire = new WireHandler(context, chain, log);
  const unsubscribe = data.onChange((names) => wire?.invalidate(hasCname(data) ? undefined : names));
  const resolve = (name: string, type: string | number, client?: string) => ask(chain, name, questionType(type), client);
  return {
    context,
    chain,
    wire,
    resolve,
    lookupIdentification: (ident) => lookupIdentification(ident, { config, contacts: deps.registrations, resolve: (n, t) => resolve(n, t) }),
    load: (rows, extensions, groups) => data.load(rows, extensions, log, groups),
    setSipTargets: (targets) => data.setSipTargets(targets),
    stop: () => {
      unsubscribe();
      registrations.stop();
      forwarder?.stop();
    },
  };
}

/** An admin CNAME can point at a registration name, so then any change clears every cached answer. */
function hasCname(data: ZoneData): boolean {
  for (const rr of data.adminRecords.all()) if (rr.type === 'CNAME') return true;
  return false;
}
