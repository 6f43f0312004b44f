import { ValidationError } from '../../../system/errors/index.ts';
import { Fields, json, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import { backupStore, MAX_RESTORE_BYTES, restoreStore, type BackupFile } from '../store-backup.ts';
import type { ApiDeps } from './api-deps.ts';
import type { RestoreResult } from '../../admin/backup-restore.ts';
import pkg from '../../../package.json' with { type: 'json' };

const startedAt = Date.now();

/** Header carrying the passphrase of an encrypted backup on restore (URI-encoded: a header is ASCII). */
export const PASSPHRASE_HEADER = 'x-backup-passphrase';

/** A backup file as a download (never cached, never sniffed). */
export function download(file: BackupFile): Response {
  return new Response(file.bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/** Reads a request body of at most `max` bytes; the declared length is checked before reading. */
async function readBounded(req: Request, max: number): Promise<Uint8Array> {
  if (Number(req.headers.get('content-length') ?? '0') > max) throw new ValidationError(`the backup is larger than ${max / 1024 / 1024} MB`, 'file');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > max) {
      void reader.cancel();
      throw new ValidationError(`the backup is larger than ${max / 1024 / 1024} MB`, 'file');
    }
    chunks.push(value);
  }
}

/** The `X-Backup-Passphrase` header, URI-decoded (empty when absent). */
export function passphraseOf(req: Request): string {
  const raw = req.headers.get(PASSPHRASE_HEADER) ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError(`the ${PASSPHRASE_HEADER} header must be URI-encoded`, 'passphrase');
  }
}

/** `GET /api/system`: version, uptime, where the config and data are, the latest host sample (null before the first). */
export function presentSystem({ config, view }: Pick<ApiDeps, 'config' | 'view'>) {
  return {
    version: pkg.version, bun: Bun.version, startedAt, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    configSource: config.source, dataDir: config.dataDir, sipDomain: config.sip.domain, dnsZone: config.dns.zone,
    host: view.history(1)[0]?.host ?? null,
  };
}

/** The System page's appliance and sensors card: the API's presentSystem. */
export type SystemView = ReturnType<typeof presentSystem>;

/** What a restore answers (`POST /api/system/restore`, and a scheduled backup's restore): counts and who needs a new password. */
export function presentRestore(result: RestoreResult) {
  return { ok: true, restored: { extensions: result.extensions, dnsRecords: result.dnsRecords }, needPassword: result.needPassword, trunksNeedPassword: result.trunksNeedPassword };
}

/** A restore's reply: the API's presentRestore. */
export type RestoreView = ReturnType<typeof presentRestore>;

/** System: sensors, disk, version; backup download and restore upload. */
export function systemRoutes({ config, store, view }: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/api/system', handler: () => json(presentSystem({ config, view })),
    },
    {
      // Without secrets: extensions restored from it need new passwords.
      method: 'GET', path: '/api/system/backup', handler: async () => {
        const file = await backupStore(store, config);
        store.events.append('admin.backup', `backup without secrets downloaded (${file.bytes.byteLength} bytes)`, { encrypted: false });
        return download(file);
      },
    },
    {
      // Encrypted with the admin's passphrase, with the extensions' HA1 hashes.
      method: 'POST', path: '/api/system/backup', handler: async ({ req }) => {
        const passphrase = new Fields(await readJsonObject(req), ['passphrase']).string('passphrase', { required: true, max: 1024 })!;
        if (passphrase === '') throw new ValidationError('give a passphrase for the encrypted backup', 'passphrase');
        const file = await backupStore(store, config, passphrase);
        store.events.append('admin.backup', `encrypted backup downloaded (${file.bytes.byteLength} bytes)`, { encrypted: true });
        return download(file);
      },
    },
    {
      method: 'POST', path: '/api/system/restore', handler: async ({ req }) => {
        const passphrase = passphraseOf(req);
        const bytes = await readBounded(req, MAX_RESTORE_BYTES);
        const result = await restoreStore(store, config, bytes, passphrase);
        store.events.append('admin.restore', `configuration restored from a backup: ${result.extensions} extensions, ${result.dnsRecords} DNS records`
          + (result.needPassword.length ? `; ${result.needPassword.length} extensions need a new password` : ''), { ...result });
        view.storeChanged();
        return json(presentRestore(result));
      },
    },
  ];
}
