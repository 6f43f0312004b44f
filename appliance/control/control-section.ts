import { importConfigPasswords, loadOutsideLine } from '../trunks/outside-line.ts';
import { readFileSync } from 'node:fs';
import { DEFAULT_LOG_SETTINGS, Logger } from '../../system/log/logger.ts';
import { type ApplianceConfig } from '../../system/config/index.ts';
import { createHostSampler } from '../../system/sensors/host-sampler.ts';
import { History } from '../../system/sensors/history.ts';
import { openStore, type BindingRecord, type Store } from '../../system/store/index.ts';
import type { AdmissionRates, WorkerToControl } from './ipc-protocol.ts';
import type { OperatingState } from './operating-state.ts';
import { PeerService } from '../peers/peer-service.ts';
import { sipSettings } from '../sip/start-sip.ts';
import type { ApplianceView } from '../web/appliance-view.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import { applianceView } from './appliance-view-impl.ts';
import { readBackupPassphrase } from '../admin/backup-passphrase.ts';
import { loadSipCertificate } from '../sip/transport/tls-certificate.ts';
import { TrunkBoard } from '../trunks/trunk-board.ts';
import { CallsView } from './calls-view.ts';
import { LampBoard } from '../sip/events/lamp-board.ts';
import { extensionOfUri } from '../sip/events/extension-of-uri.ts';
import { CallRecorder } from './call-records.ts';
import { defaultPolicySettings, type PolicySettings } from './policy.ts';
import { WorkerPool, type WorkerHandle } from './worker-pool.ts';
import { reloadConfig, type ReloadResult } from './config-reload.ts';
import { switchGeneration } from './worker-generations.ts';
import { ReplyCorrelator } from './reply-correlator.ts';
import { BYE_OUTCOME_WAIT_MS, CallHangup } from './call-hangup.ts';
import type { ByeOutcome } from '../sip/hangup/bye-sender.ts';
import { WorkerRegistry } from './worker-registry.ts';
import { startControlPeers } from './control-peers.ts';
import { SamplerLoop } from './sampler-loop.ts';
import { applyDialogEvents, routeWorkerMessages, workerMessages } from './worker-messages.ts';
import { startControlWeb } from './control-web.ts';
import { ControlJobs } from './control-jobs.ts';
import { startSuccessor, type Predecessor, type Successor } from './succession.ts';

/** Samples kept for the policy and the web UI's charts (at 2 s: 30 minutes). */
const HISTORY_SAMPLES = 900;
/** How long the sampler waits for the workers' reports. */
const REPORT_WAIT_MS = 400;
/** How long an upgraded control section waits for its draining workers (their own limit is 40 s). */
const DRAIN_WAIT_MS = 45_000;

/** The policy's settings: its defaults, the worker bounds and any [control] overrides. */
export function policySettingsFor(config: ApplianceConfig): PolicySettings {
  return {
    ...defaultPolicySettings(config.control.maxWorkers),
    ...config.control.policy,
    minWorkers: config.control.minWorkers,
    maxWorkers: config.control.maxWorkers,
    peers: config.peers.map((p) => p.name),
  };
}

/** The running control section (main process of the appliance). */
export interface ControlSection {
  readonly pool: WorkerPool;
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

/** What an upgrade did. */
export interface UpgradeResult {
  readonly ok: boolean;
  readonly message: string;
  /** The new control section's process, which takes over once its workers run. */
  readonly successorPid?: number;
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
  const failed = (kind: string) => (e: unknown) => logger.log('error', kind, String((e as Error)?.message ?? e));
  // Before anything starts: a scheduled backup needs a readable, strong passphrase (names the key).
  const backupPassphrase = fileConfig.backups.schedule === undefined ? undefined : readBackupPassphrase(fileConfig);
  const store = openStore(fileConfig.dataDir, { events: fileConfig.log });
  // Every event stored (ours, the web API's, the admin's) is also a log line, written once here.
  store.events.onAppend = (kind, message, details, ts) => logger.event(kind, message, details, ts);
  // Peers live in the store (the web UI reads them there); the file's [[peers]] are written in.
  store.peers.syncFromConfig(fileConfig.peers);
  // Local writes to replicated tables are versioned with our name (the triggers of migration 12).
  store.configVersions.setOrigin(fileConfig.name);
  // Replaced by a reload (only by one that changes no key the start alone applies: reload-plan.ts).
  let config: ApplianceConfig = { ...fileConfig, peers: store.peers.list() };
  const log = (kind: string, message: string, details: Record<string, unknown> = {}) => store.events.append(kind, message, details);
  const history = new History<OperatingState>(HISTORY_SAMPLES);
  const calls = new CallsView();
  // Busy lamps (issue 15): the dialog state per extension, from every worker's dialog events.
  const ourHosts = sipSettings(config, config.sip.port, config.sip.port).localHosts;
  const lamps = new LampBoard((uri) => extensionOfUri(uri, ourHosts, (n) => store.extensions.get(n) !== undefined));
  // The trunks' states, reported by the worker in slot 0 (the one that registers them).
  // The config's trunk passwords sealed into the store (then the file may drop them), and the
  // outside line as the workers see it: the config's entries and the admin's (outside-line.ts).
  const imported = importConfigPasswords(config, store);
  if (imported.length > 0) log('trunk.password.stored', `trunk password${imported.length > 1 ? 's' : ''} of ${imported.join(', ')} sealed into the store (the config file may drop its password lines)`, { trunks: imported });
  const outside = loadOutsideLine(config, store);
  for (const s of outside.skipped) log('trunk.entry.skipped', `${s.kind} ${s.name ?? `#${s.id}`} from the store is left out: ${s.reason}`, { id: s.id, kind: s.kind });
  const trunks = new TrunkBoard(outside.trunks);
  // Call detail records: a row per call answered or failed, ended when the view ends the call.
  const directionRules = (c: ApplianceConfig) => ({ ourHosts: sipSettings(c, c.sip.port, c.sip.port).localHosts, emergencyNumbers: new Set(c.emergency.numbers) });
  const recorder = new CallRecorder(store.callRecords, directionRules(config), failed('control.call-records.error'));
  calls.onFinish = (c) => recorder.ended(c);
  const sampleListeners = new Set<(s: OperatingState) => void>();
  const traces = new ReplyCorrelator<readonly TraceEntry[]>(REPORT_WAIT_MS);
  const locations = new ReplyCorrelator<BindingRecord[]>(REPORT_WAIT_MS);
  /** A call's messages from every worker (each saw part of it), merged in time order. */
  const callTrace = async (callId: string): Promise<TraceEntry[]> => {
    const parts = await Promise.all(pool.workers.map((w) => {
      const id = traces.nextKey();
      return traces.ask(id, () => pool.send(w, { type: 'trace-request', id, callId }), () => []);
    }));
    return parts.flat().sort((a, b) => a.ts - b.ts);
  };
  const locationOf = async (aor: string): Promise<Map<number, BindingRecord[]>> => {
    const parts = await Promise.all(pool.workers.map(async (w) => {
      const id = locations.nextKey();
      const got = await locations.ask(id, () => pool.send(w, { type: 'location-request', id, aor }), () => undefined);
      return got === undefined ? undefined : ([w.id, got] as [number, BindingRecord[]]);
    }));
    return new Map(parts.filter((p): p is [number, BindingRecord[]] => p !== undefined));
  };
  let admission: AdmissionRates | null = null;
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
  const announceSiblings = () => workers.announceSiblings();
  // The accepted config text: what the workers parse (a later edit of the file reaches them only by a reload).
  let running = runningFile(opts.configArg, opts.configText);
  if (running) pool.configText = running.text;
  // An upgrade's successor: its workers keep off the predecessor's slots (their Via ports) until it is gone.
  let successor: Successor | undefined;
  let handedOver = false;
  if (opts.predecessor) {
    const p = opts.predecessor;
    pool.reservedSlots = new Set(p.reservedSlots);
    void p.gone.then(() => (pool.reservedSlots = new Set()));
    p.onBindings = (changes) => pool.broadcast({ type: 'bindings', changes });
    // Calls the predecessor's workers start or end while both run: worker 0, not one of ours.
    p.onDialogs = (events) => calls.apply(0, events);
  }
  const { peers, sendRoles } = startControlPeers({
    config, current: () => config, store, pool, log, activeCalls: () => calls.count,
    overloaded: () => admission !== null || overloadedNow(), utilisation: () => utilisationNow(),
    onConfigApplied: () => view.storeChanged(),
  });
  const utilisationNow = () => sampler.utilisationNow();
  /** The last sample says the running workers are over the scale-out threshold. */
  const overloadedNow = () => utilisationNow() >= policySettingsFor(config).scaleOutElu;
  const hostSampler = createHostSampler({ dataDir: config.dataDir });
  let settings = policySettingsFor(config);
  const setAdmission = (a: AdmissionRates | null) => {
    admission = a;
    pool.broadcast({ type: 'admission', admission: a });
  };
  const sampler = new SamplerLoop({
    pool, history, reportWaitMs: REPORT_WAIT_MS, sampleHost: () => hostSampler.sample(), activeCalls: () => calls.count,
    settings: () => settings, handOffStatus: () => peers.handOffStatus, actions: { setAdmission, log, peers }, listeners: sampleListeners,
  });
  const sampleNow = () => sampler.sampleNow();
  // Hang-up from the UI (call-hangup.ts): the BYEs' outcomes come back over the IPC.
  const byeOutcomes = new ReplyCorrelator<ByeOutcome>(BYE_OUTCOME_WAIT_MS);
  const dialogParts = { recorder, calls, lamps, pool, successor: () => successor };
  const hangup = new CallHangup({ calls, pool, tcpOwners, outcomes: byeOutcomes, ended: (events) => applyDialogEvents(dialogParts, 0, events), log });
  onMessage = routeWorkerMessages(workerMessages({
    pool, store, peers: () => peers, config: () => config, admission: () => admission, tcpOwners, trunks, lamps, calls, recorder,
    sampler, traces, locations, byeOutcomes, successor: () => successor, predecessor: opts.predecessor, sendRoles, announceSiblings, log,
  }));

  // SIP over TLS: the certificate is made (or loaded) here, once, before any worker needs it,
  // so every worker serves the same one.
  if (config.sip.transports.includes('tls')) {
    const sipCert = await loadSipCertificate(config);
    print(`sip: TLS certificate ${sipCert.certPath}${sipCert.createdNow ? ' (generated now)' : ''}, SHA-256 fingerprint ${sipCert.fingerprint}`);
  }
  for (let i = 0; i < config.control.minWorkers; i++) pool.spawn();
  try {
    await pool.waitRunning(config.control.minWorkers);
  } catch (err) {
    await pool.stop();
    store.close();
    throw err;
  }
  // An upgrade's successor: our workers run, so the predecessor drains its own and frees the web port.
  const inherited = await opts.predecessor?.workersReady();
  const carried = inherited?.handOff ?? null;
  // The predecessor's calls in progress: our workers see their BYEs, so we end them (and their records).
  if (inherited) calls.adopt(inherited.calls);

  // Reload and upgrade (issue 17): one at a time, since each may start a generation of workers.
  let switching = false;
  const oneAtATime = async <T extends { ok: boolean; message: string }>(what: string, run: () => Promise<T>): Promise<T | { ok: false; message: string }> => {
    if (handedOver) return { ok: false, message: `${what} refused: this control section has handed over to pid ${successor?.pid}` };
    if (switching) return { ok: false, message: `${what} refused: a reload or upgrade is in progress` };
    switching = true;
    try {
      return await run();
    } finally {
      switching = false;
    }
  };
  /** Workers of a new generation: as many as serve now, within the config's bounds. */
  const generationSize = () => Math.min(config.control.maxWorkers, Math.max(config.control.minWorkers, pool.workers.filter((w) => w.state !== 'draining').length));
  const callsOf = (ids: ReadonlySet<number>) => calls.list().filter((c) => ids.has(c.worker)).length;
  const applyLive = (next: ApplianceConfig) => {
    const before = config;
    config = { ...next, peers: store.peers.list() };
    settings = policySettingsFor(config);
    // [log] format and levels: this process's lines at once, and every worker's over the IPC.
    if (opts.logger) logger.configure(config.log);
    pool.broadcast({ type: 'log-settings', settings: { format: config.log.format, level: config.log.level, areas: config.log.areas } });
    pool.stopGraceMs = config.control.stopGraceSeconds * 1000;
    recorder.configure(directionRules(config));
    // A changed trunk password in the file is sealed into the store too (the new workers read the file's).
    importConfigPasswords(config, store);
    trunks.configure(loadOutsideLine(config, store).trunks);
    jobs.reschedule(before, config);
    if (before.control.handOffMode !== config.control.handOffMode) for (const w of pool.workers) sendRoles(w);
    // New worker bounds: up to min_workers at once; above max_workers the newest extra ones drain.
    const serving = pool.workers.filter((w) => w.state !== 'draining');
    for (let i = serving.length; i < config.control.minWorkers; i++) pool.spawn();
    for (const w of serving.filter((x) => !x.registersTrunks).sort((a, b) => b.slot - a.slot).slice(0, Math.max(0, serving.length - config.control.maxWorkers))) pool.drain(w);
  };
  const reload = async (): Promise<ReloadResult> => {
    const result = await oneAtATime('reload', () => reloadConfig({
      path: running ? opts.configArg : undefined,
      running: () => running,
      applyLive,
      async newWorkers(next, text) {
        pool.configText = text;
        const before = config;
        const keepShared = before.sip.port !== next.sip.port
          || before.sip.listenAddresses.map((a) => a.address).join() !== next.sip.listenAddresses.map((a) => a.address).join();
        try {
          const s = await switchGeneration(pool, { count: Math.min(next.control.maxWorkers, Math.max(next.control.minWorkers, generationSize())), keepShared, callsOf, log });
          return { started: s.started.map((w) => w.id), draining: s.draining.map((w) => w.id) };
        } catch (err) {
          pool.configText = running?.text;
          throw err;
        }
      },
      accept(text, raw) {
        running = { text, raw };
      },
    }));
    const r: ReloadResult = 'applied' in result ? result : { ...result, applied: 'refused', changes: [] };
    log(r.ok ? 'control.reload' : 'control.reload.refused', `reload: ${r.message}`, { applied: r.applied, changes: r.changes.map((c) => `${c.key}:${c.how}`), ...(r.key ? { key: r.key } : {}) });
    return r;
  };
  /**
   * Upgrade (issue 17, succession.ts): a new control section from the code on disk starts its
   * workers beside ours; once they run, ours drain, the web port passes to it, and this one
   * exits when its workers are gone. Refused (and the successor stopped) if it does not start.
   */
  const upgrade = async (): Promise<UpgradeResult> => {
    const result = await oneAtATime('upgrade', async (): Promise<UpgradeResult> => {
      const s = startSuccessor({
        configArg: opts.configArg, configText: running?.text, reservedSlots: pool.workers.map((w) => w.slot),
        onBindings: (changes) => pool.broadcast({ type: 'bindings', changes }),
      });
      successor = s;
      try {
        await s.ready;
      } catch (err) {
        s.kill();
        successor = undefined;
        return { ok: false, message: `upgrade refused, this control section keeps serving: ${(err as Error).message}` };
      }
      handedOver = true;
      // Answer first (the command channel is on the web listener that is about to close).
      setTimeout(() => void handOver(s), 100);
      return { ok: true, successorPid: s.pid, message: `control section ${s.pid} runs its workers from the code on disk now and takes over; this one (pid ${process.pid}) drains its workers and exits` };
    });
    log(result.ok ? 'control.upgrade' : 'control.upgrade.refused', `upgrade: ${result.message}`, {});
    return result;
  };
  const handOver = async (s: Successor) => {
    const mine = pool.workers;
    workers.stopping = true;
    for (const w of mine) pool.drain(w, { releaseTrunks: w.registersTrunks });
    jobs.stop();
    peers.stop();
    await web.stop();
    const h = peers.handOffStatus;
    s.webFree(h.to !== null && h.cause !== null ? { to: h.to, cause: h.cause } : null, calls.list());
    log('control.handed-over', `web UI, API and command channel handed to control section ${s.pid}; waiting for ${mine.length} worker(s) to drain`, { successor: s.pid });
    const limit = Bun.sleep(DRAIN_WAIT_MS).then(() => mine.forEach((w) => w.proc.kill('SIGKILL')));
    await Promise.race([Promise.all(mine.map((w) => w.proc.exited)), limit]);
    store.events.append('control.stop', `control section ${process.pid} stopped after handing over to ${s.pid}`);
    store.close();
    // The last dialog events and bindings forwarded to the successor leave before we exit.
    await Bun.sleep(200);
    opts.onHandedOver?.();
  };
  const view = applianceView({
    store, pool, history, calls, peers, settings: () => settings, sampleListeners, callTrace, trunks, reload, lamps, hangUp: (callId, by) => hangup.hangUp(callId, by),
    shedding: () => sampler.sheddingStatus(),
    // The admin changed the store (web UI, CLI): the trunks board follows the outside line too.
    onStoreChanged: () => trunks.configure(loadOutsideLine(config, store).trunks),
  });
  let web: Awaited<ReturnType<typeof startControlWeb>>;
  try {
    web = await startControlWeb({
      config, store, pool, peers, calls, trunks, history, totals: sampler.totals, view, current: () => config, admission: () => admission, reload, upgrade, print,
    });
  } catch (err) {
    await pool.stop();
    store.close();
    throw err;
  }
  const jobs = new ControlJobs({ store, config: () => config, sample: sampleNow, heartbeat: () => peers.heartbeat(), backupPassphrase, failed, log });
  if (config.peers.length > 0) {
    const first = peers.heartbeat();
    // An upgrade during a hand-off: the peer keeps our new traffic (asked again, as the predecessor's cause).
    if (carried) {
      void Promise.resolve(first).then(() => peers.handOff({ cause: carried.cause, peer: carried.to }))
        .then((r) => log('control.upgrade', `hand-off to ${carried.to} carried over: ${r.message}`, { peer: carried.to, ok: r.ok }));
    }
  }
  log('control.start', `control section running ${pool.workers.length} connection control section(s)`, { workers: pool.workers.length });

  return {
    pool, history, store, calls, peers, webPort: web.port, webSetupToken: web.setupToken, sampleNow, view,
    setAdmission, locationOf, reload, upgrade,
    async stop() {
      // Handed over (upgrade): the web port and the jobs are gone already, the workers drain.
      if (handedOver) return;
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

/** The config file's text and its TOML as the control section starts on it (undefined: embedded defaults or unreadable). */
function runningFile(configArg: string, given?: string): { text: string; raw: Record<string, unknown> } | undefined {
  if (configArg === 'embedded') return undefined;
  try {
    const text = given ?? readFileSync(configArg, 'utf8');
    return { text, raw: Bun.TOML.parse(text) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
