import type { ApplianceConfig } from '../../system/config/index.ts';
import type { Logger } from '../../system/log/logger.ts';
import type { Store } from '../../system/store/index.ts';
import { importConfigPasswords, loadOutsideLine } from '../trunks/outside-line.ts';
import type { TrunkBoard } from '../trunks/trunk-board.ts';
import type { CallRecorder, DirectionRules } from './call-records.ts';
import type { ControlJobs } from './control-jobs.ts';
import { defaultPolicySettings, type PolicySettings } from './policy/index.ts';
import type { WorkerHandle, WorkerPool } from './worker-pool.ts';
import { sipSettings } from '../sip/start-sip.ts';
import { withRunTimeEdits } from './policy-edits.ts';

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

/**
 * How a call record tells inbound, outbound and internal calls apart, for this config. A peer's
 * SIP host is the office's too: a call A handed off to us names A in its To (`sip:201@<A>`),
 * and we record it (sip/call-owner.ts), as internal, not outbound (issue 19).
 */
export function directionRules(c: ApplianceConfig): DirectionRules {
  const sip = sipSettings(c, c.sip.port, c.sip.port);
  return { ourHosts: new Set([...sip.localHosts, ...[...sip.peerHosts].map((h) => h.toLowerCase())]), emergencyNumbers: new Set(c.emergency.numbers) };
}

/**
 * The config in force in the control section and the policy settings made from it: one owner,
 * replaced by a reload that changes only live keys (reload-plan.ts). The peers are the store's
 * (the web UI edits them there), not the file's. The group's policy settings edited at run time
 * (the store's `policy.*` rows, replicated) win over the file's: read again whenever the
 * replicated configuration changed (its change number), so an edit made here, by the CLI or on
 * a peer is in force at the next read, and after a restart.
 */
export class LiveConfig {
  private config: ApplianceConfig;
  private file: PolicySettings;
  private settings: PolicySettings;
  private seenSeq = -1;

  constructor(fileConfig: ApplianceConfig, private readonly store: Store) {
    this.config = { ...fileConfig, peers: store.peers.list() };
    this.file = this.settings = policySettingsFor(this.config);
  }

  get current(): ApplianceConfig {
    return this.config;
  }

  /** The policy settings in force: the file's, with the group's run-time edits. */
  get policy(): PolicySettings {
    const seq = this.store.configVersions.maxSeq();
    if (seq !== this.seenSeq) {
      this.seenSeq = seq;
      this.settings = withRunTimeEdits(this.file, this.store.policy.list());
    }
    return this.settings;
  }

  /** The policy settings the config file gives (the defaults where it sets none), without run-time edits. */
  get filePolicy(): PolicySettings {
    return this.file;
  }

  /** Takes `next` as the config in force; returns the one it replaces. */
  replace(next: ApplianceConfig): ApplianceConfig {
    const before = this.config;
    this.config = { ...next, peers: this.store.peers.list() };
    this.file = policySettingsFor(this.config);
    this.seenSeq = -1;
    return before;
  }
}

/** The parts a live reload reconfigures. */
export interface LiveParts {
  readonly store: Store;
  readonly pool: WorkerPool;
  /** This process's logger when main.ts gave one (tests' default logger is left alone). */
  readonly logger?: Logger;
  readonly recorder: CallRecorder;
  readonly trunks: TrunkBoard;
  readonly jobs: ControlJobs;
  sendRoles(worker: WorkerHandle): void;
}

/**
 * Applies the live keys of a reload (reload-plan.ts "live") to the running parts: log settings
 * here and in every worker, the stop grace, the call records' direction rules, the trunks
 * (a changed password is sealed into the store too), the cron schedules, the hand-off mode, and
 * new worker bounds (up to min_workers at once; above max_workers the newest extra ones drain).
 */
export function applyLiveConfig(p: LiveParts, before: ApplianceConfig, config: ApplianceConfig): void {
  const { pool } = p;
  p.logger?.configure(config.log);
  pool.broadcast({ type: 'log-settings', settings: { format: config.log.format, level: config.log.level, areas: config.log.areas } });
  pool.stopGraceMs = config.control.stopGraceSeconds * 1000;
  p.recorder.configure(directionRules(config));
  importConfigPasswords(config, p.store);
  p.trunks.configure(loadOutsideLine(config, p.store).trunks);
  p.jobs.reschedule(before, config);
  if (before.control.handOffMode !== config.control.handOffMode) for (const w of pool.workers) p.sendRoles(w);
  const serving = pool.workers.filter((w) => w.state !== 'draining');
  for (let i = serving.length; i < config.control.minWorkers; i++) pool.spawn();
  const extra = Math.max(0, serving.length - config.control.maxWorkers);
  for (const w of serving.filter((x) => !x.registersTrunks).sort((a, b) => b.slot - a.slot).slice(0, extra)) pool.drain(w);
}
