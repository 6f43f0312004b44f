import type { ApplianceConfig } from '../../system/config/index.ts';
import { every, type ScheduledJob } from '../../system/schedule/schedule.ts';
import type { Store } from '../../system/store/index.ts';
import { purgeExpiredLogged } from '../sip/registrar/registration-events.ts';
import { scheduleBackups } from './backup-schedule.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** What the control section's cron jobs run. */
export interface ControlJobsDeps {
  readonly store: Store;
  config(): ApplianceConfig;
  sample(): Promise<unknown>;
  /** One heartbeat to every peer. */
  heartbeat(): void | Promise<void>;
  /** The passphrase of scheduled backups, read at start (undefined: no schedule). */
  readonly backupPassphrase: string | undefined;
  /** A `[[control.hand_off_schedule]]` entry's start (issue 19): its window opens. */
  windowStart(entry: number): void | Promise<void>;
  /** A reload changed the schedule entries. */
  windowsChanged(): void | Promise<void>;
  /** A job failed: logged as `kind`. */
  failed(kind: EventKind): (e: unknown) => void;
  log(kind: EventKind, message: string): void;
}

/**
 * The control section's cron jobs (node-cron, system/schedule): the sampler, the peer
 * heartbeat (only with peers), the purge of expired bindings, the event log's and the call
 * records' retention, scheduled backups. A reload that changes a schedule restarts its job.
 */
export class ControlJobs {
  private sampler: ScheduledJob;
  private heartbeat: ScheduledJob | undefined;
  private windows: ScheduledJob[];
  private readonly fixed: ScheduledJob[];

  constructor(private readonly d: ControlJobsDeps) {
    const config = d.config();
    this.sampler = this.samplerEvery(config.control.sampleSchedule);
    this.fixed = [
      every('*/10 * * * * *', () => purgeExpiredLogged(d.store), { name: 'purge', onError: d.failed('control.purge.error') }),
      every('0 */10 * * * *', () => void d.store.events.prune(d.config().log), { name: 'event-log-retention', onError: d.failed('control.event-log-retention.error') }),
      every('0 7 * * * *', () => void d.store.callRecords.purgeBefore(Date.now() - d.config().callRecords.retentionDays * 86_400_000), {
        name: 'call-record-retention', onError: d.failed('control.call-record-retention.error'),
      }),
    ];
    const backups = scheduleBackups(config, d.store, d.backupPassphrase, (e) => d.log('backup.failed', `scheduled backup failed: ${(e as Error)?.message ?? e}`));
    if (backups) this.fixed.push(backups);
    if (config.peers.length > 0) this.heartbeat = this.heartbeatEvery(config.control.heartbeatSeconds);
    this.windows = this.windowJobs(config);
  }

  /** A reload changed `[control] sample_schedule` or `heartbeat_seconds`: their jobs follow. */
  reschedule(before: ApplianceConfig, now: ApplianceConfig): void {
    if (before.control.sampleSchedule !== now.control.sampleSchedule) {
      this.sampler.stop();
      this.sampler = this.samplerEvery(now.control.sampleSchedule);
    }
    if (before.control.heartbeatSeconds !== now.control.heartbeatSeconds && this.heartbeat) {
      this.heartbeat.stop();
      this.heartbeat = this.heartbeatEvery(now.control.heartbeatSeconds);
    }
    if (JSON.stringify(before.control.handOffSchedule) !== JSON.stringify(now.control.handOffSchedule)) {
      for (const j of this.windows) j.stop();
      this.windows = this.windowJobs(now);
      void this.d.windowsChanged();
    }
  }

  /** Stops every job (stop, or handed over to an upgrade's successor). */
  stop(): void {
    for (const j of [...this.fixed, ...this.windows, this.sampler, this.heartbeat]) j?.stop();
  }

  private samplerEvery(schedule: string): ScheduledJob {
    return every(schedule, async () => void (await this.d.sample()), { name: 'sampler', onError: this.d.failed('control.sampler.error') });
  }

  /** One job per `[[control.hand_off_schedule]]` entry, at its starts (only with peers). */
  private windowJobs(config: ApplianceConfig): ScheduledJob[] {
    if (config.peers.length === 0) return [];
    return config.control.handOffSchedule.map((w, i) => every(w.schedule, () => this.d.windowStart(i), { name: `hand-off-window-${i}`, onError: this.d.failed('peer.schedule.error') }));
  }

  private heartbeatEvery(seconds: number): ScheduledJob {
    return every(`*/${seconds} * * * * *`, () => this.d.heartbeat(), { name: 'heartbeat', onError: this.d.failed('peer.heartbeat.error') });
  }
}
