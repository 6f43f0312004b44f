import type { Database } from 'bun:sqlite';
import { openDatabase } from './database.ts';
import { DnsRecordsStore } from './dns-records-store.ts';
import { EventsStore, type EventLogLimits } from './events-store.ts';
import { ExtensionsStore } from './extensions-store.ts';
import { RegistrationsStore } from './registrations-store.ts';
import { SettingsStore } from './settings-store.ts';
import { PeersStore } from './peers-store.ts';
import { BansStore } from './bans-store.ts';
import { CallRecordsStore } from './call-records-store.ts';
import { RingGroupsStore } from './ring-groups-store.ts';
import { CallFeaturesStore } from './call-features-store.ts';
import { OutsideLineStore } from './outside-line-store.ts';
import { SealedSecretsStore } from './sealed-secrets-store.ts';
import { SubscriptionsStore } from './subscriptions-store.ts';
import { ConfigVersionsStore } from './config-versions-store.ts';
import { PolicySettingsStore } from './policy-settings-store.ts';

export * from './database.ts';
export * from './dns-records-store.ts';
export * from './events-store.ts';
export * from './extensions-store.ts';
export * from './registrations-store.ts';
export * from './settings-store.ts';
export * from './peers-store.ts';
export * from './bans-store.ts';
export * from './call-records-store.ts';
export * from './ring-groups-store.ts';
export * from './call-features-store.ts';
export * from './outside-line-store.ts';
export * from './sealed-secrets-store.ts';
export * from './subscriptions-store.ts';
export * from './config-versions-store.ts';
export * from './policy-settings-store.ts';
export * from './file-modes.ts';
export * from './source-key.ts';
export { migrate, MIGRATIONS } from './migrations.ts';
export { GROUP_SETTINGS, POLICY_SETTING_PREFIX, isGroupSetting } from './replication-schema.ts';

/** The store: one SQLite database, one accessor per table family. */
export interface Store {
  readonly db: Database;
  readonly settings: SettingsStore;
  readonly extensions: ExtensionsStore;
  readonly registrations: RegistrationsStore;
  readonly events: EventsStore;
  readonly dnsRecords: DnsRecordsStore;
  readonly peers: PeersStore;
  readonly bans: BansStore;
  readonly callRecords: CallRecordsStore;
  readonly ringGroups: RingGroupsStore;
  readonly callFeatures: CallFeaturesStore;
  /** Trunks, routes and inbound numbers added in the UI or CLI (the config's are not here). */
  readonly outsideLine: OutsideLineStore;
  /** Secrets kept encrypted at rest (trunk passwords). */
  readonly secrets: SealedSecretsStore;
  readonly subscriptions: SubscriptionsStore;
  /** Versions and tombstones of the rows replicated to peers (issue 19). */
  readonly configVersions: ConfigVersionsStore;
  /** The group's policy settings edited at run time (replicated `policy.*` settings). */
  readonly policy: PolicySettingsStore;
  close(): void;
}

/** Options for {@link openStore}; every field has a default. */
export interface StoreOptions {
  /** Event-log rate per kind (`[log] rate_per_kind`). */
  readonly events?: Partial<EventLogLimits>;
  /** How long a binding removal is remembered past its version (`[sip] max_expires` in ms; default 7 days). */
  readonly bindingTombstoneMs?: number;
}

/** Opens the store in `dataDir`. */
export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const db = openDatabase(dataDir);
  const events = new EventsStore(db, options.events);
  const secrets = new SealedSecretsStore(db, dataDir);
  return {
    db,
    settings: new SettingsStore(db),
    extensions: new ExtensionsStore(db),
    registrations: new RegistrationsStore(db, options.bindingTombstoneMs),
    events,
    dnsRecords: new DnsRecordsStore(db),
    peers: new PeersStore(db),
    bans: new BansStore(db),
    callRecords: new CallRecordsStore(db),
    ringGroups: new RingGroupsStore(db),
    callFeatures: new CallFeaturesStore(db),
    outsideLine: new OutsideLineStore(db),
    secrets,
    subscriptions: new SubscriptionsStore(db),
    configVersions: new ConfigVersionsStore(db, secrets),
    policy: new PolicySettingsStore(db),
    close: () => {
      try {
        events.flush(undefined, true);
      } finally {
        db.close();
      }
    },
  };
}
