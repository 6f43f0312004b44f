/**
 * The DNS function (DESIGN.md): authoritative DNS for the office zone, its ENUM suffix and the
 * LAN reverse zones, over UDP and TCP, answering from the store, the registrations and the
 * appliance's own SIP service; optionally forwarding other names for allowed clients.
 */
import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import { createDnsCore, type DnsCore } from './core.ts';
import type { DnsAnswer } from './handler.ts';
import type { IdentificationTarget } from './identification.ts';
import type { RegisteredContacts } from './registered-contacts.ts';
import { listenTcp, type TcpListener } from './transport/tcp-server.ts';
import { listenUdp, type UdpListener } from './transport/udp-server.ts';
import type { WireStats } from './wire-handler.ts';
import type { DnsCounters } from './dns-counters.ts';
import type { SipTarget } from './zone-data.ts';

export { createDnsCore, type DnsCore, type DnsCoreDeps } from './core.ts';
export { buildChain, ask, RESOLVERS } from './chain.ts';
export type { DnsAnswer, DnsQuestion, DnsRequest, Handler, Resolver } from './handler.ts';
export type { IdentificationTarget } from './identification.ts';
export type { RegisteredContact, RegisteredContacts } from './registered-contacts.ts';
export type { ResourceRecord, RecordData } from './records.ts';
export { presentData, rcodeName, typeName } from './records.ts';
export type { SipTarget } from './zone-data.ts';
export { otherFamilyAddresses, ownSipHost, ownSipTarget } from './zone-data.ts';

/** What `startDnsFunction` needs: the config, the store and the location view. */
export interface DnsDeps {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly registrations: RegisteredContacts;
  readonly log?: (line: string) => void;
}

/** A running DNS function. */
export interface DnsFunction {
  /** Bound ports (equal unless the function is disabled, then 0). */
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly stats: WireStats;
  /** Answers by type and rcode, and their latency, since start (the metrics). */
  readonly counters: DnsCounters;
  stop(): Promise<void>;
  /** In-process query: the same answer a client gets on the wire. `type` is a mnemonic ("A", "SRV"). */
  resolve(name: string, type: string): Promise<DnsAnswer>;
  /** Addresses for an extension number, AOR, E.164 number or host name (for the stateful proxy). */
  lookupIdentification(ident: string): Promise<IdentificationTarget[]>;
  /** Reloads admin records and extensions from the store now and drops cached answers. */
  invalidate(): void;
  /** Sets the SIP SRV targets (this appliance and peers, with priorities; the control section's input). */
  setSipTargets(targets: readonly SipTarget[]): void;
}

const BIND_ATTEMPTS = 5;

/**
 * Starts the DNS function: loads the store and binds UDP (SO_REUSEPORT) and TCP on
 * `dns.listen:dns.port` (port 0 picks one free port for both). Its owner calls `invalidate`
 * when the store changed (connection-control/store-watch.ts).
 */
export async function startDnsFunction(deps: DnsDeps): Promise<DnsFunction> {
  const { config, store, log } = deps;
  const core = createDnsCore({ config, registrations: deps.registrations, log });
  const reload = () => core.load(store.dnsRecords.list(), store.extensions.list(), store.ringGroups.list().map((g) => g.number));
  reload();

  let udp: UdpListener | undefined;
  let tcp: TcpListener | undefined;
  try {
    if (config.dns.enabled) ({ udp, tcp } = await bindBoth(core, config.dns.listen, config.dns.port, log));
  } catch (err) {
    core.stop();
    throw err;
  }
  log?.(config.dns.enabled ? `dns: serving ${config.dns.zone} on ${config.dns.listen}:${udp?.port} (udp+tcp)` : 'dns: disabled (in-process lookups only)');

  return {
    udpPort: udp?.port ?? 0,
    tcpPort: tcp?.port ?? 0,
    stats: core.wire.stats,
    counters: core.wire.counters,
    async stop() {
      core.stop();
      await Promise.all([udp?.close(), tcp?.close()]);
    },
    resolve: (name, type) => core.resolve(name, type),
    lookupIdentification: (ident) => core.lookupIdentification(ident),
    invalidate: reload,
    setSipTargets: (targets) => core.setSipTargets(targets),
  };
}

async function bindBoth(core: DnsCore, address: string, port: number, log?: (line: string) => void): Promise<{ udp: UdpListener; tcp: TcpListener }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await listenUdp(address, port, core.wire, log);
    try {
      return { udp, tcp: await listenTcp(address, udp.port, core.wire, log) };
    } catch (err) {
      await udp.close();
      // With port 0 the TCP twin of the UDP port may be taken: pick another pair.
      if (port !== 0 || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}
