import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError, ValidationError } from '../../system/errors/index.ts';
import { isIP } from 'node:net';
import type { DnsRecordRow, Store } from '../../system/store/index.ts';
import { parseSourceKey } from '../../system/store/source-key.ts';
import { extensionOfAor } from '../sip/registrar/registered-contacts-view.ts';
import type { DataContext } from './context.ts';
import { validateRecord, type RecordInput } from './record-input.ts';
import { presentData } from './records.ts';
import { enumRecords } from './resolvers/enum.ts';
import { ringGroupRecords } from './resolvers/ring-groups.ts';
import { sipServiceRecords } from './resolvers/sip-service.ts';
import { ZoneData } from './zone-data.ts';
import { reverseName, servedZones, type ServedZones } from './zones.ts';

/** One line of `dns list`: an admin record (with id) or a derived one. */
export interface ListedRecord {
  readonly id?: number;
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly ttl: number;
  /** Where a derived record comes from ("registration", "enum", "sip-service", "ring group", "admin A"); undefined for admin records. */
  readonly derived?: string;
}

/** Admin-managed DNS records, shared by the CLI and the web API. */
export class DnsAdminService {
  private readonly zones: ServedZones;

  constructor(private readonly store: Store, private readonly config: ApplianceConfig) {
    this.zones = servedZones(config);
  }

  /** Validates and stores a record; refuses CNAME next to other data (RFC 1034 §3.6.2, RFC 2181 §10.1). */
  add(input: RecordInput): DnsRecordRow {
    const row = this.addRow(input);
    this.store.events.append('admin.dns.add', `DNS record ${row.name} ${row.type} ${row.value} added`, { id: row.id });
    return row;
  }

  private addRow(input: RecordInput): DnsRecordRow {
    const v = validateRecord(input, this.zones);
    const existing = this.store.dnsRecords.byName(v.name);
    if (v.type === 'CNAME' && existing.length > 0) {
      throw new ValidationError(`${v.name} already has records: a CNAME must be the only record at its name (RFC 1034 §3.6.2)`, 'type', 'conflict');
    }
    if (v.type !== 'CNAME' && existing.some((r) => r.type === 'CNAME')) {
      throw new ValidationError(`${v.name} is a CNAME: no other records may sit at that name (RFC 1034 §3.6.2)`, 'type', 'conflict');
    }
    return this.store.dnsRecords.add({ name: v.name, type: v.type, value: v.value, ttl: v.ttl });
  }

  /** Removes by id, or by name, type and value (the value in any accepted spelling). */
  remove(target: { id: number } | RecordInput): DnsRecordRow {
    let row: DnsRecordRow;
    if ('id' in target) {
      row = this.store.dnsRecords.remove(target.id);
    } else {
      const v = validateRecord(target, this.zones);
      row = this.store.dnsRecords.removeMatching(v.name, v.type, v.value);
    }
    this.store.events.append('admin.dns.remove', `DNS record ${row.name} ${row.type} ${row.value} removed`, { id: row.id });
    return row;
  }

  /**
   * Replaces record `id` with `input` in one transaction (an invalid new value leaves the old
   * record), logged as one edit saying what it was and what it is now.
   */
  edit(id: number, input: RecordInput): DnsRecordRow {
    return this.store.db.transaction(() => {
      const before = this.store.dnsRecords.remove(id);
      const row = this.addRow(input);
      const was = `${before.name} ${before.type} ${before.value}`;
      const now = `${row.name} ${row.type} ${row.value}`;
      const ttl = before.ttl === row.ttl ? '' : `, TTL ${before.ttl ?? 'default'} → ${row.ttl ?? 'default'}`;
      this.store.events.append('admin.dns.edit', `DNS record ${was} changed${was === now ? '' : ` to ${now}`}${ttl}`, {
        id: row.id, replaced: before.id,
        before: { name: before.name, type: before.type, value: before.value, ttl: before.ttl },
        after: { name: row.name, type: row.type, value: row.value, ttl: row.ttl },
      });
      return row;
    })();
  }

  /**
   * Admin records, then what the appliance derives from the store alone: SIP service records,
   * ENUM NAPTRs of extensions with E.164 numbers, and names of unexpired registrations.
   */
  list(now = Date.now()): ListedRecord[] {
    const ttl = this.config.dns.ttl;
    const rows = this.store.dnsRecords.list();
    const admin: ListedRecord[] = rows.map((r) => ({ id: r.id, name: r.name, type: r.type, value: r.value, ttl: r.ttl ?? ttl }));
    const data = new ZoneData(this.config, this.zones);
    data.load(rows, this.store.extensions.list(), undefined, this.store.ringGroups.list().map((g) => g.number));
    const ctx: DataContext = { config: this.config, zones: this.zones, data };
    const derived: ListedRecord[] = [];
    const push = (source: string) => (r: { name: string; type: string; ttl: number } & Parameters<typeof presentData>[0]) =>
      derived.push({ name: r.name, type: r.type, value: presentData(r), ttl: r.ttl, derived: source });
    sipServiceRecords(ctx).forEach(push('sip-service'));
    enumRecords(ctx).forEach(push('enum'));
    ringGroupRecords(ctx).forEach(push('ring group'));
    const adminPtr = new Set(rows.filter((r) => r.type === 'PTR').map((r) => r.name));
    for (const r of data.adminRecords.all()) if (r.type === 'PTR' && !adminPtr.has(r.name)) push('admin A/AAAA')(r);
    const domain = this.config.sip.domain;
    for (const b of this.store.registrations.loadActive(now)) {
      const ext = extensionOfAor(b.aor, domain);
      const flow = parseSourceKey(b.source);
      const address = flow && isIP(flow.address) ? flow.address : undefined;
      if (!ext || !address) continue;
      // A DNS name is case-insensitive (RFC 4343): its label is the extension lowercased.
      const name = `${ext.toLowerCase()}.${this.zones.office}`;
      const type = address.includes(':') ? 'AAAA' : 'A';
      if (!derived.some((d) => d.name === name && d.value === address)) {
        derived.push({ name, type, value: address, ttl, derived: 'registration' });
        const rev = reverseName(address);
        if (rev) derived.push({ name: rev, type: 'PTR', value: `${name}.`, ttl, derived: 'registration' });
      }
    }
    return [...admin, ...derived];
  }
}

/** Parses a record id argument ("12"); undefined when the word is not one. */
export function parseRecordId(word: string): number | undefined {
  if (!/^\d{1,12}$/.test(word)) return undefined;
  const id = Number(word);
  if (!Number.isSafeInteger(id)) throw new ApplianceError('usage', `invalid record id "${word}"`);
  return id;
}
