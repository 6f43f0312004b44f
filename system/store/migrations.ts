import type { Database } from 'bun:sqlite';
import { MIGRATION_14, MIGRATION_17 } from './replication-schema.ts';

/**
 * A trigger that versions a local write to the extensions table (migration 12): a hybrid
 * logical clock (wall-clock ms, at least one more than any version seen), our name, the next seq.
 */
function versionTrigger(name: string, event: 'INSERT' | 'UPDATE' | 'DELETE', key: string, deleted: 0 | 1): string {
  return `CREATE TRIGGER ${name} AFTER ${event} ON extensions
        WHEN (SELECT applying FROM replication_state WHERE id = 1) = 0
      BEGIN
        INSERT OR REPLACE INTO config_versions (kind, key, t, origin, deleted, seq) VALUES ('extension', ${key},
          MAX(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), (SELECT COALESCE(MAX(t), 0) + 1 FROM config_versions)),
          (SELECT origin FROM replication_state WHERE id = 1), ${deleted}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM config_versions));
      END;`;
}

/**
 * Versioned schema migrations, applied in order inside one transaction each. Never edit a
 * shipped migration: add a new one. `PRAGMA user_version` records the applied version.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'settings, extensions, registrations, event log',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE extensions (
        number       TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        realm        TEXT NOT NULL,
        ha1_md5      TEXT NOT NULL,
        ha1_sha256   TEXT NOT NULL,
        e164         TEXT UNIQUE,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );
      CREATE TABLE registrations (
        aor        TEXT NOT NULL,
        contact    TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        q          REAL NOT NULL DEFAULT 1.0,
        call_id    TEXT NOT NULL,
        cseq       INTEGER NOT NULL,
        source     TEXT NOT NULL,
        transport  TEXT NOT NULL,
        user_agent TEXT NOT NULL DEFAULT '',
        version    INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (aor, contact)
      );
      CREATE INDEX registrations_expiry ON registrations (expires_at);
      CREATE TABLE events (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        ts      INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_ts ON events (ts);
    `,
  },
  {
    version: 2,
    name: 'admin-managed DNS records',
    sql: `
      CREATE TABLE dns_records (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT NOT NULL,
        type       TEXT NOT NULL,
        value      TEXT NOT NULL,
        ttl        INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (name, type, value)
      );
      CREATE INDEX dns_records_name ON dns_records (name);
    `,
  },
  {
    version: 3,
    name: 'peer appliances',
    sql: `
      CREATE TABLE peers (
        name       TEXT PRIMARY KEY,
        url        TEXT NOT NULL,
        sip        TEXT NOT NULL,
        secret     TEXT NOT NULL,
        source     TEXT NOT NULL DEFAULT 'config',
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'banned SIP sources',
    sql: `
      CREATE TABLE bans (
        address TEXT PRIMARY KEY,
        reason  TEXT NOT NULL,
        since   INTEGER NOT NULL,
        until   INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'digest algorithms per extension, SHA-256 learnt per phone',
    sql: `
      ALTER TABLE extensions ADD COLUMN digest TEXT NOT NULL DEFAULT 'default';
      CREATE TABLE digest_learnt (
        extension  TEXT NOT NULL,
        agent      TEXT NOT NULL,
        learnt_at  INTEGER NOT NULL,
        PRIMARY KEY (extension, agent)
      );
    `,
  },
  {
    version: 6,
    name: 'registrations: behind NAT (docs/SIP.md NAT)',
    sql: `
      ALTER TABLE registrations ADD COLUMN behind_nat INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    name: 'call detail records (issue 14)',
    sql: `
      CREATE TABLE call_records (
        id          INTEGER PRIMARY KEY,
        call_id     TEXT NOT NULL,
        from_tag    TEXT NOT NULL,
        to_tag      TEXT,
        from_uri    TEXT NOT NULL,
        to_uri      TEXT NOT NULL,
        routed_to   TEXT,
        direction   TEXT NOT NULL,
        trunk       TEXT,
        started_at  INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at    INTEGER,
        result      INTEGER,
        reason      TEXT,
        worker      INTEGER,
        UNIQUE (call_id, from_tag)
      );
      CREATE INDEX call_records_started ON call_records (started_at);
    `,
  },
  {
    version: 8,
    name: 'outside-call permissions per extension (issue 14)',
    sql: `
      ALTER TABLE extensions ADD COLUMN call_class TEXT NOT NULL DEFAULT 'national';
      ALTER TABLE extensions ADD COLUMN max_outside_calls INTEGER NOT NULL DEFAULT 2;
      ALTER TABLE extensions ADD COLUMN outside_calls_per_hour INTEGER NOT NULL DEFAULT 30;
      ALTER TABLE extensions ADD COLUMN outbound_caller_id TEXT;
      CREATE INDEX call_records_open_trunk ON call_records (trunk, ended_at);
    `,
  },
  {
    version: 9,
    name: 'ring groups, call forwarding and do-not-disturb (issue 15)',
    sql: `
      CREATE TABLE ring_groups (
        number          TEXT PRIMARY KEY,
        name            TEXT NOT NULL DEFAULT '',
        strategy        TEXT NOT NULL DEFAULT 'ring-all',
        ring_seconds    INTEGER NOT NULL DEFAULT 15,
        timeout_seconds INTEGER NOT NULL DEFAULT 60,
        fallback        TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
      );
      CREATE TABLE ring_group_members (
        group_number TEXT NOT NULL REFERENCES ring_groups (number) ON DELETE CASCADE,
        position     INTEGER NOT NULL,
        member       TEXT NOT NULL,
        PRIMARY KEY (group_number, position)
      );
      CREATE TABLE call_features (
        extension           TEXT PRIMARY KEY,
        dnd                 INTEGER NOT NULL DEFAULT 0,
        forward_always      TEXT,
        forward_busy        TEXT,
        forward_noanswer    TEXT,
        noanswer_seconds    INTEGER NOT NULL DEFAULT 20,
        forward_unreachable TEXT,
        updated_at          INTEGER NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'trunks, routes and inbound numbers added by the admin; sealed secrets (issue 14)',
    sql: `
      CREATE TABLE sealed_secrets (
        name       TEXT PRIMARY KEY,
        sealed     TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE outside_line_entries (
        id         INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        name       TEXT,
        entry      TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (kind, name)
      );
    `,
  },
  {
    version: 11,
    name: 'event subscriptions: busy lamps and presence (issue 15)',
    sql: `
      CREATE TABLE subscriptions (
        id         TEXT PRIMARY KEY,
        event      TEXT NOT NULL,
        event_id   TEXT NOT NULL DEFAULT '',
        subscriber TEXT NOT NULL,
        target     TEXT NOT NULL,
        call_id    TEXT NOT NULL,
        remote_tag TEXT NOT NULL,
        local_tag  TEXT NOT NULL,
        contact    TEXT NOT NULL,
        source     TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        notifies   INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX subscriptions_dialog ON subscriptions (call_id, remote_tag, local_tag, event);
      CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber);
      CREATE INDEX subscriptions_target ON subscriptions (target);
    `,
  },
  {
    version: 12,
    name: 'replicated configuration: per-row versions and tombstones (issue 19)',
    // Every write to a replicated table (the CLI, the API, a restore, a worker) gets a version
    // here from these triggers: a hybrid logical clock (wall-clock ms, at least one more than any
    // version seen) and this appliance's name as origin; a deletion leaves a tombstone. A row
    // applied from a peer sets `applying`, so it keeps the peer's version. `seq` counts changes
    // here, so each peer link sends what it has not yet been sent.
    sql: `
      CREATE TABLE replication_state (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        origin   TEXT NOT NULL DEFAULT '',
        applying INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO replication_state (id) VALUES (1);
      CREATE TABLE config_versions (
        kind    TEXT NOT NULL,
        key     TEXT NOT NULL,
        t       INTEGER NOT NULL,
        origin  TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        seq     INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      );
      CREATE INDEX config_versions_seq ON config_versions (seq);
      CREATE INDEX config_versions_t ON config_versions (t);
      INSERT INTO config_versions (kind, key, t, origin, deleted, seq)
        SELECT 'extension', number, updated_at, '', 0, rowid FROM extensions;
      ${versionTrigger('extensions_version_write', 'INSERT', 'NEW.number', 0)}
      ${versionTrigger('extensions_version_update', 'UPDATE', 'NEW.number', 0)}
      ${versionTrigger('extensions_version_delete', 'DELETE', 'OLD.number', 1)}
    `,
  },
  {
    version: 13,
    name: 'call records: the extension whose forward sent a call outside (issue 15)',
    // Its outside-call limits count the call (call-records-store.ts outsideCalls), not the caller's.
    sql: `
      ALTER TABLE call_records ADD COLUMN forwarded_by TEXT;
    `,
  },
  {
    version: 14,
    name: 'replicated DNS records, ring groups, call features, outside line, group settings; binding tombstones (issue 19)',
    // replication-schema.ts: the same versions as migration 12's for every other replicated
    // table, and the binding tombstones (a removal that a full sync must not undo).
    sql: MIGRATION_14,
  },
  {
    version: 15,
    name: 'outside numbers as ring-group members, per-extension voicemail (issue 15)',
    // A group calls its outside members as itself: its own class and limits (an extension's
    // defaults); the call records' forwarded_by names the group. An extension's own voicemail
    // server overrides [voicemail] uri (NULL: the office's).
    sql: `
      ALTER TABLE ring_groups ADD COLUMN call_class TEXT NOT NULL DEFAULT 'national';
      ALTER TABLE ring_groups ADD COLUMN max_outside_calls INTEGER NOT NULL DEFAULT 2;
      ALTER TABLE ring_groups ADD COLUMN outside_calls_per_hour INTEGER NOT NULL DEFAULT 30;
      ALTER TABLE call_features ADD COLUMN voicemail_uri TEXT;
    `,
  },
  {
    version: 16,
    name: 'a TCP/TLS binding names the member holding its connection and its flow token (issue 19)',
    // RFC 5626 §5.2 / RFC 3327: a peer reaches the phone through that member (its Route is the
    // holder's SIP address with the token as user part), not by a new connection the phone's
    // NAT would drop. Empty: a UDP binding, or one written before (reached as before).
    sql: `
      ALTER TABLE registrations ADD COLUMN flow_holder TEXT NOT NULL DEFAULT '';
      ALTER TABLE registrations ADD COLUMN flow_token TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 17,
    name: 'the group\'s policy settings replicate (issue 19)',
    // replication-schema.ts: `policy.<key>` rows of settings are versioned like emergency.trunk.
    sql: MIGRATION_17,
  },
];

/** Brings the database up to the newest schema; returns the versions applied now. */
export function migrate(db: Database): number[] {
  const current = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
