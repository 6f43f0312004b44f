#!/usr/bin/env bun
/**
 * Entry point of a connection control section running as its own process, spawned by the
 * control section: `bun appliance/connection-control/worker-main.ts --config FILE --worker-id N`.
 * It talks to the control section only through the typed IPC (ipc-protocol.ts).
 */
import { dirname, resolve } from 'node:path';
import { loadConfig, parseConfig } from '../../system/config/index.ts';
import { CONFIG_TEXT_ENV, isMessage, type ControlToWorker, type WorkerToControl } from '../control/ipc-protocol.ts';
import { parseArgs } from '../cli/cli-args.ts';
import type { DialogEvent } from '../sip/dialog-events.ts';
import { connectionTransport } from '../sip/transport/connection-key.ts';
import { startConnectionControl } from './connection-control.ts';
import { WorkerReporter } from './worker-reporter.ts';
import { IdleCollector } from './idle-collect.ts';
import { RemoteWrites } from './remote-writes.ts';
import { isTrunkStatus } from '../trunks/trunk-status.ts';
import { Logger, type LogSettings } from '../../system/log/logger.ts';
import { LEVELS } from '../../system/log/log-record.ts';
import { byeSenderOf, sendBye } from '../sip/hangup/bye-sender.ts';

/** How long a draining worker waits for its open transactions before it exits anyway. */
const DRAIN_LIMIT_MS = 40_000;

const send = (msg: WorkerToControl) => process.send?.(msg);
const args = parseArgs(process.argv.slice(2));
const configPath = args.options.get('--config');
const workerId = Number(args.options.get('--worker-id') ?? 0);
const slot = Number(args.options.get('--slot') ?? 0);
// The config the control section accepted last (it validated it); the file itself may have
// been edited since (a reload not asked for yet, or refused).
const acceptedText = process.env[CONFIG_TEXT_ENV];
const config = acceptedText !== undefined && configPath !== undefined && configPath !== 'embedded'
  ? parseConfig(acceptedText, configPath, dirname(resolve(configPath)))
  : loadConfig(configPath === 'embedded' ? undefined : configPath);
// A stable Via port per slot (issue 12): a restarted worker gets its predecessor's responses.
const ownPort = config.sip.workerPortBase > 0 ? config.sip.workerPortBase + slot : 0;
// One structured line per event on stdout, which the control section's stdout shares (journald).
const logger = new Logger(config.log, (line) => console.log(line), workerId);
const cc = await startConnectionControl(config, {
  workerId, ownPort, logger,
  // A ban decided here reaches the sibling workers through the control section.
  onBan: (ban) => send({ type: 'ban', ban }),
  // Exactly one serving worker registers the trunks: the control section names it (worker-pool.ts).
  registerTrunks: args.options.get('--trunks') === 'register',
  onTrunkStatus: (status) => send({ type: 'trunk-status', status }),
  onTrunkUnreachable: (trunk) => send({ type: 'trunk-unreachable', trunk }),
  // Busy lamps: the control section owns the board; slot 0 sends the NOTIFYs (one owner, like the trunks).
  events: {
    notifier: slot === 0,
    subscriptionChanged: (id) => (slot === 0 ? cc.notifier?.changed(id) : send({ type: 'subscription', id })),
    pickupElsewhere: (request) => send({ type: 'pickup', request }),
  },
});
if (cc.sip.transports.udp.ownPortFallback) cc.store.events.append('sip.transport', `worker ${workerId} (slot ${slot}): ${cc.sip.transports.udp.ownPortFallback}`);
const reporter = new WorkerReporter(workerId, cc.sip.service, cc.dns);
let state: 'running' | 'draining' = 'running';

// After a burst the worker goes quiet and JSC, which collects as the program allocates, would
// keep the burst's garbage until the next load: one full collection once it is idle
// (idle-collect.ts), after the transactions have ended, and again once the flow spreader has
// forgotten the burst's placements (up to 64 s, pipeline/flow-spreader.ts), which hold blocks
// of the heap until then.
const idleCollector = (what: string, held: () => number) => new IdleCollector(
  () => ({ held: held(), offered: cc.sip.service.admission.offered, lagMs: cc.sip.service.admission.lagMs }),
  () => Bun.gc(true),
  (peak, ms) => cc.store.events.append('sip.memory', `worker ${workerId}: full garbage collection after a burst (${peak} ${what}, ${Math.round(ms)} ms)`, { peak, ms: Math.round(ms) }),
);
const collectors = [idleCollector('open transactions', () => cc.sip.service.openTransactions)];
const spreader = cc.sip.service.spreader;
if (spreader) collectors.push(idleCollector('remembered placements', () => spreader.remembered));
for (const c of collectors) c.start();

// Registration changes made here go to the others through the control section.
cc.location.onLocalChange = (changes) => send({ type: 'bindings', changes });

let notifierStarted = false;

// Dialog events go up in small batches (one IPC message per 10 ms at most: busy lamps follow
// them, docs/PBX.md "Busy lamps"; 50 ms made the NOTIFY after a 200 OK take 65-84 ms).
let dialogBatch: DialogEvent[] = [];
/** Sends the batch now (also before exiting: the last calls' ends must not be lost with the process). */
const flushDialogs = () => {
  if (dialogBatch.length === 0) return;
  send({ type: 'dialogs', events: dialogBatch });
  dialogBatch = [];
};
cc.sip.service.onDialogEvent = (e) => {
  if (dialogBatch.length === 0) setTimeout(flushDialogs, 10);
  dialogBatch.push(e);
};

// Phones registered over TCP: their connection lives in one worker; the others write to it
// through the control section, and responses arriving on it go back to the worker that asked.
// TLS phones the same way: their keys are `tls:addr:port`, one table and one IPC for both.
const remote = new RemoteWrites(workerId, send);
const tcp = cc.sip.transports.tcp;
const tls = cc.sip.transports.tls;
for (const edge of tls ? [tcp, tls] : [tcp]) {
  edge.onConnectionChange = (key, open) => send({ type: 'tcp', key, open });
  edge.remoteWrite = (key, address, port, data, connect, onFailed) => remote.write(key, address, port, data, connect, onFailed);
  edge.siblingHolds = (key) => remote.siblingHolds(key);
}

/**
 * One handler per message of the control section (ipc-protocol.ts ControlToWorker), in a table
 * the compiler checks is complete: a new message does not compile until its handler is here.
 */
const controlMessages: { readonly [K in ControlToWorker['type']]: (raw: Extract<ControlToWorker, { type: K }>) => void } = {
  bindings(raw) {
    cc.location.applyRemote(raw.changes);
  },
  sample() {
    send({ type: 'report', report: { ...reporter.report(state), ...(cc.trunks ? { registersTrunks: true } : {}) }, totals: reporter.totals() });
  },
  admission(raw) {
    cc.sip.service.admission.set(raw.admission);
  },
  'log-settings'(raw) {
    // A reload changed [log] format or levels (control/reload-plan.ts: live).
    if (isLogSettings(raw.settings)) logger.configure(raw.settings);
  },
  drain(raw) {
    if (raw.releaseTrunks) cc.trunks?.release();
    void drain(raw.keepShared === true);
  },
  'tcp-owners'(raw) {
    remote.applyOwners(raw.owners);
  },
  'tcp-write'(raw) {
    remote.deliver(raw, tls && connectionTransport(raw.key) === 'tls' ? tls : tcp);
  },
  'tcp-write-failed'(raw) {
    remote.failed(raw.id, raw.reason);
  },
  'trace-request'(raw) {
    send({ type: 'trace', id: raw.id, entries: cc.sip.service.trace.get(raw.callId).map((e) => ({ ...e, worker: workerId })) });
  },
  'store-changed'() {
    cc.storeChanged();
  },
  ban(raw) {
    cc.sip.service.sourceGuard.apply(raw.ban);
  },
  'location-request'(raw) {
    send({ type: 'location', id: raw.id, bindings: cc.location.bindings(raw.aor) });
  },
  'sip-targets'(raw) {
    cc.dns.setSipTargets(raw.targets);
  },
  'hand-off'(raw) {
    cc.sip.service.admission.handOff = raw.target;
  },
  'trunk-status'(raw) {
    if (isTrunkStatus(raw.status)) cc.trunkDirectory.setStatus(raw.status);
  },
  'trunk-unreachable'(raw) {
    if (typeof raw.trunk === 'string') cc.trunkDirectory.markUnreachable(raw.trunk);
  },
  lamps(raw) {
    if (!Array.isArray(raw.changes)) return;
    if (raw.reset) {
      cc.lamps.reset(raw.changes);
      // The stored subscriptions get their first NOTIFY from the board as it is, not from an empty one.
      if (cc.notifier && !notifierStarted) {
        notifierStarted = true;
        cc.notifier.start();
      }
    } else cc.lamps.apply(raw.changes);
  },
  subscription(raw) {
    if (typeof raw.id === 'string') cc.notifier?.changed(raw.id);
  },
  pickup(raw) {
    cc.sip.service.pickup(raw.request);
  },
  'dialogs-flush'(raw) {
    flushDialogs();
    send({ type: 'dialogs-flushed', id: raw.id });
  },
  hangup(raw) {
    // The admin hangs up a call (control/call-hangup.ts): this worker holds the flow to one side.
    void sendBye(raw.bye, byeSenderOf(cc.sip.service)).then((outcome) => send({ type: 'bye-outcome', id: raw.id, outcome }));
  },
  siblings(raw) {
    cc.sip.service.siblingViaPorts = new Set(raw.viaPorts.filter((p) => p !== cc.sip.transports.viaPort));
    if (raw.spread) cc.sip.siblings?.setSiblings(raw.spread.key, raw.spread.inboxes);
  },
};

process.on('message', (raw: unknown) => {
  if (!isMessage<ControlToWorker>(raw)) return;
  (controlMessages[raw.type] as ((m: ControlToWorker) => void) | undefined)?.(raw);
});

/**
 * Stop taking new work, let open transactions finish, then exit (scale-in without failed calls).
 * `keepShared` (a reload moved SIP to other sockets): no other worker listens where the calls
 * set up here send their in-dialog requests, so keep the shared sockets and relay those until
 * the control section sends SIGTERM (it waits for those calls to end).
 */
async function drain(keepShared: boolean): Promise<void> {
  if (state === 'draining') return;
  state = 'draining';
  cc.sip.service.admission.draining = true;
  if (keepShared) return;
  // Leave the shared port so the kernel sends new datagrams to the other workers; our own
  // Via port stays open for the responses of what we forwarded.
  await cc.sip.transports.leaveShared();
  const until = Date.now() + DRAIN_LIMIT_MS;
  // Pending = no final response yet; finished transactions only absorb retransmissions, which
  // the kernel now delivers to the other workers anyway.
  while (cc.sip.service.pendingTransactions > 0 && Date.now() < until) await Bun.sleep(200);
  // The last totals go with it: what it counted since its last report stays counted.
  flushDialogs();
  send({ type: 'drained', openTransactions: cc.sip.service.pendingTransactions, totals: reporter.totals() });
  await cc.stop();
  process.exit(0);
}

const shutdown = async () => {
  flushDialogs();
  for (const c of collectors) c.stop();
  await cc.stop();
  process.exit(0);
};

/**
 * SIGTERM (the appliance stops or restarts): take no new dialogs or registrations (503, except
 * emergency calls), keep relaying what belongs to calls in progress and finish the open
 * transactions, for `[control] stop_grace_seconds` at most; leave earlier once nothing is
 * pending and no request was served for a second (the refused ones do not count). The shared port stays open meanwhile: there is no
 * other worker to take the in-dialog requests.
 */
let stopping = false;
async function stopGracefully(): Promise<void> {
  if (stopping) return;
  stopping = true;
  state = 'draining';
  cc.sip.service.admission.draining = true;
  const until = Date.now() + config.control.stopGraceSeconds * 1000;
  // Activity is what is served: new work refused while stopping (503) does not keep us here,
  // nor do the ACKs those refusals bring (an ACK for a 2xx follows a transaction still
  // pending), or a steady flow of new calls would hold every restart for the whole grace period.
  const total = () => Object.entries(cc.sip.service.counters.snapshot().requests)
    .reduce((a, [method, n]) => (method === 'ACK' ? a : a + n), 0) - cc.sip.service.admission.shed;
  let seen = total();
  let quietSince = Date.now();
  while (Date.now() < until) {
    await Bun.sleep(100);
    const now = total();
    if (now !== seen) {
      seen = now;
      quietSince = Date.now();
    }
    if (cc.sip.service.pendingTransactions === 0 && Date.now() - quietSince >= 1000) break;
  }
  await shutdown();
}
process.on('SIGTERM', () => void stopGracefully());
process.on('SIGINT', () => void stopGracefully());
// The control section went away: a worker never outlives it.
process.on('disconnect', () => void shutdown());

send({ type: 'ready', workerId, pid: process.pid, sipPort: cc.sip.port, viaPort: cc.sip.transports.viaPort, ...(cc.sip.siblings ? { spreadPort: cc.sip.siblings.port } : {}) });

/** Shape check of log settings from the IPC (defensive: it is an edge). */
function isLogSettings(v: unknown): v is LogSettings {
  const s = v as LogSettings | null;
  const level = (l: unknown) => (LEVELS as readonly unknown[]).includes(l);
  return typeof s === 'object' && s !== null && (s.format === 'text' || s.format === 'json') && level(s.level)
    && typeof s.areas === 'object' && s.areas !== null && Object.values(s.areas).every(level);
}
