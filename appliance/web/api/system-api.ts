import { ValidationError } from '../../../system/errors/index.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import { backupStore, MAX_RESTORE_BYTES, restoreStore } from '../store-backup.ts';
import type { ApiDeps } from './api-deps.ts';
import pkg from '../../../package.json' with { type: 'json' };

const startedAt = Date.now();

/** System: sensors, disk, version; backup download and restore upload. */
export function systemRoutes({ config, store, view }: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/api/system', handler: () => {
        const host = view.history(1)[0]?.host ?? null;
        return json({
          version: pkg.version, bun: Bun.version, startedAt, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          configSource: config.source, dataDir: config.dataDir, sipDomain: config.sip.domain, dnsZone: config.dns.zone,
          host,
        });
      },
    },
    {
      method: 'GET', path: '/api/system/backup', handler: async () => {
        const bytes = await backupStore(store);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        store.events.append('admin.backup', `backup downloaded (${bytes.byteLength} bytes)`);
        return new Response(bytes, {
          headers: {
            'Content-Type': 'application/vnd.sqlite3',
            'Content-Disposition': `attachment; filename="appliance-backup-${stamp}.sqlite"`,
            'Cache-Control': 'no-store',
            'X-Content-Type-Options': 'nosniff',
          },
        });
      },
    },
    {
      method: 'POST', path: '/api/system/restore', handler: async ({ req }) => {
        const length = Number(req.headers.get('content-length') ?? '0');
        if (length > MAX_RESTORE_BYTES) throw new ValidationError(`the backup is larger than ${MAX_RESTORE_BYTES / 1024 / 1024} MB`, 'file');
        const bytes = new Uint8Array(await req.arrayBuffer());
        if (bytes.length > MAX_RESTORE_BYTES) throw new ValidationError('the backup is too large', 'file');
        const counts = restoreStore(store, bytes, config.dataDir);
        store.events.append('admin.restore', 'configuration restored from a backup', counts);
        view.storeChanged();
        return json({ ok: true, restored: counts });
      },
    },
  ];
}
