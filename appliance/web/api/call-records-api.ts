import { callRecordQuery, callRecordsCsv } from '../../admin/call-records-export.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import type { CallRecord } from '../../../system/store/index.ts';

/** `GET /api/call-records`: the stored records, newest first, as the store keeps them. */
export interface CallRecordsView {
  readonly records: readonly CallRecord[];
}

/**
 * Call detail records (issue 14; docs/API.md): `GET /api/call-records` as JSON and
 * `GET /api/call-records.csv` as a download, both filtered by `since`, `until`, `extension`,
 * `direction` and `limit` (JSON at most 1,000, CSV at most 100,000 rows).
 */
export function callRecordRoutes({ store }: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/api/call-records', handler: ({ url }) => {
        const q = callRecordQuery((n) => url.searchParams.get(n) ?? undefined, 1000);
        const reply: CallRecordsView = { records: store.callRecords.list({ limit: 100, ...q }) };
        return json(reply);
      },
    },
    {
      method: 'GET', path: '/api/call-records.csv', handler: ({ url }) => {
        const q = callRecordQuery((n) => url.searchParams.get(n) ?? undefined, 100_000);
        const body = callRecordsCsv(store.callRecords.list({ limit: 100_000, ...q }));
        return new Response(body, {
          headers: {
            'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="call-records.csv"',
            'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff',
          },
        });
      },
    },
  ];
}
