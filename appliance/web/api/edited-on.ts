import type { ApplianceConfig } from '../../../system/config/index.ts';
import type { ReplicatedKind, Store } from '../../../system/store/index.ts';

/**
 * The member of the peer group a replicated row's last edit was made on (issue 19: from its
 * version's origin); null before replication or without peers. The API shows it next to
 * extensions, DNS records, ring groups and trunks.
 */
export function editedOn({ config, store }: { readonly config: ApplianceConfig; readonly store: Store }, kind: ReplicatedKind, key: string): string | null {
  // Without peers every row was edited here: naming this box's own name (often the host name) only confuses.
  if (config.peers.length === 0) return null;
  return store.configVersions.version(kind, key)?.origin || null;
}

/** The replication key of an admin DNS record: name, type and value (replication-schema.ts). */
export const dnsRecordKey = (r: { name: string; type: string; value: string }) => JSON.stringify([r.name, r.type, r.value]);
