import { BackupFiles } from '../../admin/backup-files.ts';
import { readBackupPassphrase } from '../../admin/backup-passphrase.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import { restoreStore } from '../store-backup.ts';
import type { ApiDeps } from './api-deps.ts';
import { download, passphraseOf, presentRestore } from './system-api.ts';

/** `GET /api/system/backups`: the schedule, how many are kept, the files (newest first, backup-files.ts). */
export function presentScheduledBackups(config: ApiDeps['config'], files: BackupFiles) {
  return { schedule: config.backups.schedule ?? null, retention: config.backups.retention, backups: files.list() };
}

/** The System page's scheduled backups: the API's presentScheduledBackups. */
export type ScheduledBackupsView = ReturnType<typeof presentScheduledBackups>;

/**
 * The scheduled backups (`[backups]`, control/backup-schedule.ts) on the System page: listed,
 * downloaded, restored. Behind the admin session and, for the restore, the CSRF token and the
 * origin checks, like every /api route (server.ts). A name from the URL is only used after it
 * matched the backup name pattern (admin/backup-files.ts): no path is built from anything else.
 */
export function backupRoutes({ config, store, view }: ApiDeps): Route[] {
  const files = new BackupFiles(config.backups.directory);
  return [
    {
      method: 'GET', path: '/api/system/backups', handler: () => json(presentScheduledBackups(config, files)),
    },
    {
      method: 'GET', path: '/api/system/backups/:name', handler: ({ params }) => {
        const bytes = files.read(params.name);
        store.events.append('admin.backup', `scheduled backup ${params.name} downloaded (${bytes.byteLength} bytes)`, { name: params.name });
        return download({ bytes, fileName: params.name, contentType: 'application/octet-stream', encrypted: true });
      },
    },
    {
      // The configured passphrase opens it, unless the request names another (one made before the passphrase changed).
      method: 'POST', path: '/api/system/backups/:name/restore', handler: async ({ req, params }) => {
        const bytes = files.read(params.name);
        const given = passphraseOf(req);
        const result = await restoreStore(store, config, bytes, given !== '' || config.backups.passphraseFile === undefined ? given : readBackupPassphrase(config));
        store.events.append('admin.restore', `configuration restored from scheduled backup ${params.name}: ${result.extensions} extensions, ${result.dnsRecords} DNS records`
          + (result.needPassword.length ? `; ${result.needPassword.length} extensions need a new password` : ''), { name: params.name, ...result });
        view.storeChanged();
        return json(presentRestore(result));
      },
    },
  ];
}
