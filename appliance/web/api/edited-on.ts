import type { ReplicatedKind, Store } from '../../../system/store/index.ts';

/**
 * The member of the peer group a replicated row's last edit was made on (issue 19: from its
 * version's origin); null before replication or without peers. The API shows it next to
 * extensions, DNS records, ring groups and trunks.
 */
export function editedOn(store: Store, kind: ReplicatedKind, key: string): string | null {
  return store.configVersions.version(kind, key)?.origin || null;
}

/** The replication key of an admin DNS record: name, type and value (replication-schema.ts). */
export const dnsRecordKey = (r: { name: string; type: string; value: string }) => JSON.stringify([r.name, r.type, r.value]);
