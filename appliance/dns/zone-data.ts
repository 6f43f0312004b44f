import type { ApplianceConfig } from '../../system/config/index.ts';
import type { DnsRecordRow, ExtensionRecord } from '../../system/store/index.ts';
import { parseRecordValue, type AdminType } from './record-input.ts';
import { RecordSet } from './record-set.ts';
import type { ResourceRecord } from './records.ts';
import { reverseName, type ServedZones } from './zones.ts';

/** One SIP server the `_sip._udp` / `_sip._tcp` SRV records point at (RFC 3263 §4.2). */
export interface SipTarget {
  /** Host name of the target, in the office zone (it gets an A/AAAA record). */
  readonly host: string;
  readonly address: string;
  /** Further addresses of the host (dual stack: this appliance's other family, docs/SIP.md "IPv6"). */
  readonly moreAddresses?: readonly string[];
  readonly port: number;
  /** Its SIP-over-TLS port, for `_sips._tcp` (RFC 3263 §4.2, RFC 5630); undefined: no TLS. */
  readonly tlsPort?: number;
  /** Lower is preferred (RFC 2782); the control section raises a peer's priority on hand-off. */
  readonly priority: number;
  readonly weight: number;
}

/**
 * The mutable inputs of the resolvers: admin records and extensions (from the store), the SIP
 * targets (settable by the control section). Every change bumps `version`, which invalidates
 * the ready-bytes cache; registrations are read live through RegisteredContacts.
 */
export class ZoneData {
  adminRecords: RecordSet;
  /** E.164 number ("+15551234567") → extension number. */
  e164: ReadonlyMap<string, string> = new Map();
  /** Ring group numbers: `<group>.<zone>` names this appliance (resolvers/ring-groups.ts). */
  groups: ReadonlySet<string> = new Set();
  sipTargets: readonly SipTarget[];
  /** SOA serial (RFC 1982 arithmetic is not needed: seconds since 1970 only grow). */
  serial = Math.floor(Date.now() / 1000) >>> 0;
  version = 0;
  private readonly listeners = new Set<(names?: readonly string[]) => void>();

  constructor(private readonly config: ApplianceConfig, private readonly zones: ServedZones) {
    this.adminRecords = new RecordSet([], zones.all);
    this.sipTargets = [ownSipTarget(config)];
  }

  /** Replaces the store-backed data. Admin A/AAAA records also publish PTR (unless an admin PTR exists). */
  load(rows: readonly DnsRecordRow[], extensions: readonly ExtensionRecord[], log?: (line: string) => void, groups: readonly string[] = []): void {
    const records: ResourceRecord[] = [];
    for (const row of rows) {
      try {
        records.push({ name: row.name, ttl: row.ttl ?? this.config.dns.ttl, ...parseRecordValue(row.type as AdminType, row.value) });
      } catch (err) {
        log?.(`dns: skipping stored record ${row.id} (${row.name} ${row.type}): ${(err as Error).message}`);
      }
    }
    const ptrOwners = new Set(records.filter((r) => r.type === 'PTR').map((r) => r.name));
    const derived: ResourceRecord[] = [];
    for (const r of records) {
      if (r.type !== 'A' && r.type !== 'AAAA') continue;
      const rev = reverseName(r.address);
      if (rev && !ptrOwners.has(rev)) derived.push({ name: rev, ttl: r.ttl, type: 'PTR', target: r.name });
    }
    this.adminRecords = new RecordSet([...records, ...derived], this.zones.all);
    this.e164 = new Map(extensions.filter((e) => e.e164).map((e) => [e.e164!, e.number]));
    this.groups = new Set(groups.map((g) => g.toLowerCase()));
    this.changed();
  }

  /** Sets the SRV target list (this appliance and peers, with priorities). */
  setSipTargets(targets: readonly SipTarget[]): void {
    this.sipTargets = targets.map((t) => ({ ...t, host: t.host.toLowerCase().replace(/\.$/, '') }));
    this.changed();
  }

  /**
   * Marks a change: new SOA serial and data version. `names` limits the change to those owner
   * names (a registration); undefined means anything may have changed.
   */
  changed(names?: readonly string[]): void {
    if (!names) this.version++;
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000)) >>> 0;
    for (const l of this.listeners) l(names);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (names?: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * The host name of this appliance's own SIP target, `sip.<zone>`: what the SRV records point at,
 * the provisioning page offers the phones and the generated SIP certificate names. Built here only.
 */
export function ownSipHost(config: Pick<ApplianceConfig, 'dns'>): string {
  return `sip.${config.dns.zone}`;
}

/**
 * This appliance's own SIP target, `sip.<zone>` (priority 10): the one builder for the DNS
 * function's start, the worker (with the ports it bound) and the peer roles. `ports` default to
 * the configured ones (a configured 0 is replaced by the worker once it has bound).
 */
export function ownSipTarget(config: ApplianceConfig, ports: { readonly sip: number; readonly tls?: number } = {
  sip: config.sip.port, ...(config.sip.transports.includes('tls') ? { tls: config.sip.tls.port } : {}),
}): SipTarget {
  return {
    host: ownSipHost(config), address: config.sip.advertise, moreAddresses: otherFamilyAddresses(config), port: ports.sip, priority: 10, weight: 100,
    ...(ports.tls !== undefined ? { tlsPort: ports.tls } : {}),
  };
}

/** What this appliance advertises on its other listen families (dual stack), for the A/AAAA of its SIP target. */
export function otherFamilyAddresses(config: ApplianceConfig): string[] {
  return config.sip.listenAddresses.slice(1).map((l) => l.advertise);
}
