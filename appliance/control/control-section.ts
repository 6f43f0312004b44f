import { DEFAULT_LOG_SETTINGS, Logger } from '../../system/log/logger.ts';
import { policySettingName, type ApplianceConfig } from '../../system/config/index.ts';
import { createHostSampler, type HostSampler } from '../../system/sensors/host-sampler.ts';
import { History } from '../../system/sensors/history.ts';
import type { BindingRecord, Store } from '../../system/store/index.ts';
import type { CallsView } from './calls-view.ts';
import { hottestCpu, type OperatingState } from './operating-state.ts';
import { openControlStore } from './control-store.ts';
import { startControlCalls } from './control-calls.ts';
import { orShutDown, startFirstWorkers } from './first-workers.ts';
import { resumePeers, startControlPeers } from './control-peers.ts';
import { applyLiveConfig, LiveConfig } from './live-config.ts';
import { loadOutsideLine } from '../trunks/outside-line.ts';
import type { AdmissionRates, WorkerToControl } from './ipc-protocol.ts';
import { PeerService } from '../peers/peer-service.ts';
import type { ApplianceView } from '../web/appliance-view.ts';
import { applianceView } from './appliance-view-impl.ts';
import { readBackupPassphrase } from '../admin/backup-passphrase.ts';
import { startTrunkBoard } from './trunk-board-start.ts';
import { WorkerPool, type WorkerHandle } from './worker-pool.ts';
import type { ReloadResult } from './config-reload.ts';
import { ReplyCorrelator } from './reply-correlator.ts';
import { BYE_OUTCOME_WAIT_MS, CallHangup } from './call-hangup.ts';
import type { ByeOutcome } from '../sip/hangup/bye-sender.ts';
import { WorkerRegistry } from './worker-registry.ts';
import type { TcpOwners } from './tcp-owners.ts';
import { SamplerLoop } from './sampler-loop.ts';
import { applyDialogEvents, routeWorkerMessages, workerMessages } from './worker-messages.ts';
import { startControlWeb } from './control-web.ts';
import { ControlJobs } from './control-jobs.ts';
import type { Predecessor } from './succession.ts';
import { ControlGenerations, type UpgradeResult } from './control-generations.ts';
import { WorkerQueries } from './worker-queries.ts';
import { AdmissionInForce } from './admission-in-force.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

export { policySettingsFor } from './live-config.ts';
export type { UpgradeResult } from './control-generations.ts';

/** Samples kept for the policy and the web UI's charts (at 2 s: 30 minutes). */
const HISTORY_SAMPLES = 900;
/** How long the sampler (and a diagnostic question) waits for the workers' replies. */
const REPORT_WAIT_MS = 400;

/** The running control section (main process of the appliance). */
export interface ControlSection {
  readonly pool: WorkerPool;
  /** Which worker holds which TCP/TLS connection (tcp-owners.ts; diagnostics). */
  readonly tcpOwners: TcpOwners;
  readonly history: History<OperatingState>;
  readonly store: Store;
  /** Calls in progress and recently ended, across every worker. */
  readonly calls: CallsView;
  /** Peer appliances: heartbeats, replication, hand-off (issue 5). */
  readonly peers: PeerService;
  /** The web port: admin UI and API, peer API, command channel. */
  readonly webPort: number;
  /** The first-run setup token while no admin password is set (also printed). */
  readonly webSetupToken?: string;
  /** What the web API may read and do (appliance/web/appliance-view.ts). */
  readonly view: ApplianceView;
  /** Takes one sample now (also what the schedule runs). */
  sampleNow(): Promise<OperatingState>;
  /** Applies an admission (shedding) to every worker; null lifts it. */
  setAdmission(admission: AdmissionRates | null): void;
  /** What each worker's location view holds for an AOR, by worker id (diagnostics: did a change reach every worker?). */
  locationOf(aor: string): Promise<Map<number, BindingRecord[]>>;
  /** Re-reads and validates the config file and applies what changed (SIGHUP, CLI `reload`, web UI). */
  reload(): Promise<ReloadResult>;
  /** Replaces every worker with one running the code on disk now, without dropping calls (CLI `upgrade`, SIGUSR2). */
  upgrade(): Promise<UpgradeResult>;
  stop(): Promise<void>;
}

export interface ControlOptions {
  /** `--config` argument the workers get: a file path or "embedded". */
  readonly configArg: string;
  /** The process's log lines (main.ts: stdout, `[log]`); absent: text lines to `print`. */
  readonly logger?: Logger;
  /** Where lines go without a `logger` (nothing by default: tests). */
  readonly print?: (line: string) => void;
  readonly workerOutput?: 'inherit' | 'ignore';
  /** The config text `fileConfig` was parsed from, when not read from `configArg` (an upgrade's successor). */
  readonly configText?: string;
  /** Started by an upgrade: the old control section to take over from (succession.ts). */
  readonly predecessor?: Predecessor;
  /** After an upgrade handed everything to the successor and the workers drained (main.ts: exit). */
  readonly onHandedOver?: () => void;
  /** The host sampler (default: systeminformation's sensors; tests give one with their own sensor source). */
  readonly hostSampler?: HostSampler;
  /**
   * The wall clock the peer protocol reads (heartbeat timestamps, request signatures, the peers'
   * clock offsets); default Date.now. Tests give a skewed one to play a member whose clock is off.
   */
  readonly peerClock?: () => number;
}

/**
 * The control section (DESIGN.md process model): generates the connection control sections,
 * relays registration changes between them, replaces a crashed one with back-off, acquires the
 * operating state on a node-cron schedule into a bounded history, and writes what it does to
 * the event log.
 */
export async function startControlSection(fileConfig: ApplianceConfig, opts: ControlOptions): Promise<ControlSection> {
  const logger = opts.logger ?? new Logger(DEFAULT_LOG_SETTINGS, opts.print ?? (() => {}));
  const print = (line: string) => logger.line(line);
  const failed = (kind: EventKind) => (e: unknown) => logger.log('error', kind, String((e as Error)?.message ?? e));
  // Before anything starts: a scheduled backup needs a readable, strong passphrase (names the key).
  const backupPassphrase = fileConfig.backups.schedule === undefined ? undefined : readBackupPassphrase(fileConfig);
  const store = openControlStore(fileConfig, logger);
  // Replaced by a reload (only by one that changes no key the start alone applies: reload-plan.ts).
  const live = new LiveConfig(fileConfig, store);
  // The config at start; later readers ask `live.current`.
  const config = live.current;
  const log = (kind: EventKind, message: string, details: Record<string, unknown> = {}) => store.events.append(kind, message, details);
  const history = new History<OperatingState>(HISTORY_SAMPLES);
  const { calls, lamps, recorder } = startControlCalls(config, store, failed);
  const trunks = startTrunkBoard(config, store, log);
  const sampleListeners = new Set<(s: OperatingState) => void>();
  let onMessage: (worker: WorkerHandle, msg: WorkerToControl) => void = () => {};
  const workers = new WorkerRegistry({
    configArg: opts.configArg, stdout: opts.workerOutput, stopGraceMs: config.control.stopGraceSeconds * 1000, log,
    onMessage: (w, m) => onMessage(w, m),
    onGone: (w) => {
      sampler.forget(w.id);
      // The trunks' registrar is gone: its reports no longer hold (the next slot-0 worker reports afresh).
      if (w.registersTrunks) trunks.reset();
    },
  });
  const { pool, tcpOwners } = workers;
  const queries = new WorkerQueries(pool, REPORT_WAIT_MS);
  const admission = new AdmissionInForce(pool);
  if (opts.predecessor) ControlGenerations.adoptPredecessor(opts.predecessor, workers, calls);
  // Before any worker starts: it holds the config text the workers parse.
  const generations = new ControlGenerations({
    configArg: opts.configArg, configText: opts.configText, workers, calls, store, log, config: () => live.current,
    applyLive: (next) => applyLiveConfig({ store, pool, logger: opts.logger, recorder, trunks, jobs, sendRoles }, live.replace(next), live.current),
    release: async () => {
      jobs.stop();
      peers.stop();
      await web.stop();
    },
    handOffStatus: () => peers.handOffStatus, onHandedOver: opts.onHandedOver,
  });
  const reload = () => generations.reload();
  const upgrade = () => generations.upgrade();
  const { peers, sendRoles, heartbeat } = startControlPeers({
    config, current: () => live.current, store, pool, log, activeCalls: () => calls.count,
    temperature: () => hottestCpu(history.last()?.host.temperatures), criticalTemperature: () => live.policy.criticalCpuTemperature,
    // Shedding in force, or the last sample over the scale-out threshold.
    overloaded: () => admission.current !== null || sampler.cpuShareNow() >= live.policy.scaleOutCpuShare, cpuShare: () => sampler.cpuShareNow(),
    onConfigApplied: () => view.storeChanged(), ...(opts.peerClock ? { clock: opts.peerClock } : {}),
    policy: () => ({ inForce: (k) => live.policy[policySettingName(k)], fromFile: (k) => live.filePolicy[policySettingName(k)] }),
  });
  const hostSampler = opts.hostSampler ?? createHostSampler({ dataDir: config.dataDir });
  const setAdmission = (a: AdmissionRates | null) => admission.set(a);
  const sampler = new SamplerLoop({
    pool, history, reportWaitMs: REPORT_WAIT_MS, sampleHost: () => hostSampler.sample(), activeCalls: () => calls.count,
    settings: () => live.policy, handOffStatus: () => peers.handOffStatus, actions: { setAdmission, log, peers }, listeners: sampleListeners,
  });
  const sampleNow = () => sampler.sampleNow();
  // Hang-up from the UI (call-hangup.ts): the BYEs' outcomes come back over the IPC.
  const byeOutcomes = new ReplyCorrelator<ByeOutcome>(BYE_OUTCOME_WAIT_MS);
  const dialogParts = { recorder, calls, lamps, pool, successor: () => generations.successor };
  const hangup = new CallHangup({ calls, pool, tcpOwners, outcomes: byeOutcomes, flushDialogs: () => queries.flushDialogs(), ended: (events) => applyDialogEvents(dialogParts, 0, events), log });
  onMessage = routeWorkerMessages(workerMessages({
    pool, store, peers: () => peers, config: () => live.current, admission: () => admission.current, tcpOwners, trunks, lamps, calls, recorder, sampler,
    traces: queries.traces, locations: queries.locations, byeOutcomes, flushes: queries.flushes, successor: () => generations.successor, predecessor: opts.predecessor,
    sendRoles, announceSiblings: () => workers.announceSiblings(), log,
  }));

  await startFirstWorkers(config, pool, store, print);
  const carried = await ControlGenerations.inherit(opts.predecessor, calls);
  const view = applianceView({
    store, pool, history, calls, peers, settings: () => live.policy, filePolicy: () => live.filePolicy, sampleListeners, callTrace: (id) => queries.callTrace(id), trunks, reload, lamps, hangUp: (callId, by) => hangup.hangUp(callId, by),
    shedding: () => sampler.sheddingStatus(),
    // The admin changed the store (web UI, CLI): the trunks board follows the outside line too.
    onStoreChanged: () => trunks.configure(loadOutsideLine(live.current, store).trunks),
  });
  const web = await orShutDown(pool, store, () => startControlWeb({
    config, store, pool, peers, calls, trunks, history, totals: sampler.totals, view, current: () => live.current, admission: () => admission.current, reload, upgrade, print,
  }));
  const jobs = new ControlJobs({
    store, config: () => live.current, sample: sampleNow, heartbeat, backupPassphrase, failed, log,
    windowStart: (entry) => peers.moves.windowStart(entry), windowsChanged: () => peers.moves.rescheduled(),
  });
  resumePeers({ config, peers, heartbeat, carried, log });
  log('control.start', `control section running ${pool.workers.length} connection control section(s)`, { workers: pool.workers.length });

  return {
    pool, tcpOwners, history, store, calls, peers, webPort: web.port, webSetupToken: web.setupToken, sampleNow, view,
    setAdmission, locationOf: (aor) => queries.locationOf(aor), reload, upgrade,
    async stop() {
      // Handed over (upgrade): the web port and the jobs are gone already, the workers drain.
      if (generations.handedOver) return;
      workers.stopping = true;
      jobs.stop();
      peers.stop();
      await web.stop();
      await pool.stop();
      store.events.append('control.stop', 'control section stopped');
      store.close();
    },
  };
}
