import type { ApplianceConfig } from '../../system/config/index.ts';
import { every, type ScheduledJob } from '../../system/schedule/schedule.ts';
import type { Store } from '../../system/store/index.ts';
import { BackupFiles } from '../admin/backup-files.ts';
import { backupStore } from '../web/store-backup.ts';

/**
 * Scheduled backups (`[backups] schedule`, node-cron): each run writes an encrypted backup
 * (the same document and envelope as the System page's, with the passphrase read at start,
 * admin/backup-passphrase.ts) to `[backups] directory`, then removes the oldest beyond
 * `retention`, and says so in the event log. A run still going when the next is due is
 * skipped (system/schedule); a failed run is reported through `onError` and the next one tries
 * again. Undefined when no schedule is set.
 */
export function scheduleBackups(config: ApplianceConfig, store: Store, passphrase: string | undefined, onError: (e: unknown) => void): ScheduledJob | undefined {
  const { schedule, retention, directory } = config.backups;
  if (schedule === undefined || passphrase === undefined) return undefined;
  const files = new BackupFiles(directory);
  return every(schedule, async () => {
    const file = await backupStore(store, config, passphrase);
    files.write(file.fileName, file.bytes);
    const removed = files.prune(retention);
    store.events.append('backup.scheduled', `scheduled backup ${file.fileName} written (${file.bytes.byteLength} bytes)`
      + (removed.length ? `; ${removed.length} older removed (retention ${retention})` : ''), { name: file.fileName, bytes: file.bytes.byteLength, removed });
  }, { name: 'backups', onError });
}
