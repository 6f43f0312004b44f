import { ValidationError } from '../../../system/errors/index.ts';
import { DnsAdminService } from '../../dns/admin-records.ts';
import { ADMIN_TYPES, type RecordInput } from '../../dns/record-input.ts';
import { Fields, json, noContent, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { dnsRecordKey, editedOn } from './edited-on.ts';

function recordInput(body: Record<string, unknown>): RecordInput {
  const f = new Fields(body, ['name', 'type', 'value', 'ttl']);
  return {
    name: f.string('name', { required: true, max: 255 })!,
    type: f.string('type', { required: true, max: 10 })!,
    value: f.string('value', { required: true, max: 2048 })!,
    ttl: f.int('ttl', { min: 0, max: 604800 }) ?? null,
  };
}

function recordId(text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw new ValidationError(`invalid record id "${text}"`, 'id');
  return Number(text);
}

/**
 * `GET /api/dns`: the zone, the types an admin may add, and every record (admin and derived;
 * `derived`: where a derived one comes from, null for an admin record; `editedOn`: the member of
 * the peer group an admin record's last edit was made on).
 */
export function presentDnsList({ config, store }: Pick<ApiDeps, 'config' | 'store'>, service: DnsAdminService) {
  return {
    zone: config.dns.zone, enumSuffix: config.dns.enumSuffix, defaultTtl: config.dns.ttl, types: ADMIN_TYPES,
    records: service.list().map((r) => ({ ...r, derived: r.derived ?? null, editedOn: r.derived ? null : editedOn({ config, store }, 'dns-record', dnsRecordKey(r)) })),
  };
}

/** The DNS page's list as the API sends it: the UI's `DnsList`. */
export type DnsListView = ReturnType<typeof presentDnsList>;

/** DNS records: admin-managed (add, edit, remove; the CLI's validation) and derived (read-only). */
export function dnsRoutes({ config, store, view }: ApiDeps): Route[] {
  const service = new DnsAdminService(store, config);
  return [
    { method: 'GET', path: '/api/dns', handler: () => json(presentDnsList({ config, store }, service)) },
    {
      method: 'POST', path: '/api/dns', handler: async ({ req }) => {
        const row = service.add(recordInput(await readJsonObject(req)));
        view.storeChanged();
        return json(row, 201);
      },
    },
    {
      // One edit in one transaction (an invalid new value leaves the old record), logged as an edit.
      method: 'PUT', path: '/api/dns/:id', handler: async ({ req, params }) => {
        const input = recordInput(await readJsonObject(req));
        const row = service.edit(recordId(params.id), input);
        view.storeChanged();
        return json(row);
      },
    },
    {
      method: 'DELETE', path: '/api/dns/:id', handler: ({ params }) => {
        service.remove({ id: recordId(params.id) });
        view.storeChanged();
        return noContent();
      },
    },
  ];
}
