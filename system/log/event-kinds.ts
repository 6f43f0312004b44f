/**
 * Every kind of event the appliance writes: rows of the event log (system/store/events-store.ts)
 * and the structured lines that only go to the log (marked "line only" in docs/LOGGING.md
 * "Event kinds", which lists them all; test/system/log/event-kinds.test.ts keeps the two equal).
 * A kind is `area.what[.detail]`; its area is the log area (`[log] areas`), and its ending sets
 * the level (logger.ts `levelOfKind`). A new kind goes here and into that table.
 */
export const EVENT_KINDS = [
  // The admin (web UI, CLI): what they changed.
  'admin.backup', 'admin.ban.lift', 'admin.dns.add', 'admin.dns.edit', 'admin.dns.remove',
  'admin.extension.add', 'admin.extension.dnd', 'admin.extension.forward', 'admin.extension.import',
  'admin.extension.remove', 'admin.extension.update', 'admin.extension.voicemail', 'admin.group.add', 'admin.group.remove',
  'admin.group.update', 'admin.hand-off', 'admin.hangup', 'admin.login', 'admin.login.failed', 'admin.logout',
  'admin.password', 'admin.policy', 'admin.restore', 'admin.setup', 'admin.take-back', 'admin.unregister',
  // The single-process runtime (tests, start-appliance.ts).
  'appliance.start', 'appliance.stop',
  'backup.failed', 'backup.scheduled',
  // The control section: workers, policy actions, generations, its jobs.
  'control.call-record-retention.error', 'control.call-records.error', 'control.event-log-retention.error',
  'control.generation', 'control.hand-off', 'control.handed-over', 'control.purge.error',
  'control.reload', 'control.reload.refused', 'control.sampler.error', 'control.scale-in', 'control.scale-out',
  'control.shed', 'control.signal', 'control.start', 'control.stop', 'control.stop-shedding', 'control.stopping',
  'control.take-back', 'control.upgrade', 'control.upgrade.refused',
  'control.worker.crash', 'control.worker.drained', 'control.worker.exit', 'control.worker.ready',
  // Peer appliances: our hand-off and take-back, a peer's towards us, replication.
  'peer.auth.refused', 'peer.bindings.rejected', 'peer.clock.ok', 'peer.clock.skewed', 'peer.config.applied', 'peer.config.refused',
  'peer.config.send-failed', 'peer.config.synced', 'peer.down', 'peer.hand-off', 'peer.hand-off.held', 'peer.hand-off.refused',
  'peer.heartbeat.error', 'peer.remote.hand-off', 'peer.remote.take-back', 'peer.schedule', 'peer.schedule.error',
  'peer.situation', 'peer.sync-failed', 'peer.synced', 'peer.take-back', 'peer.tombstones.capped', 'peer.up',
  // SIP: registrations, logins, subscriptions, faults of a worker.
  'sip.auth.failed', 'sip.ban', 'sip.digest.learnt', 'sip.error', 'sip.memory', 'sip.nat.error',
  'sip.nat.unreachable', 'sip.pickup', 'sip.registration.expired', 'sip.registration.gone',
  'sip.registration.new', 'sip.request', 'sip.subscription', 'sip.subscription.gone', 'sip.transport',
  // Trunks and the dial plan.
  'trunk.emergency', 'trunk.entry.skipped', 'trunk.failed', 'trunk.failover', 'trunk.inbound.unknown',
  'trunk.password.stored', 'trunk.refused', 'trunk.registered', 'trunk.registering', 'trunk.reload',
  'trunk.static', 'trunk.unreachable', 'trunk.unregistered',
] as const;

/** One kind of event (a closed list: a misspelt kind does not compile). */
export type EventKind = (typeof EVENT_KINDS)[number];

/** How a part writes an event: the event log's append, as each part's dependency. */
export type EventLog = (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
