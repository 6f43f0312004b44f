import { ValidationError } from '../../../system/errors/index.ts';
import { intParam, json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/** The event log, newest first, filtered by kind prefix and (optionally) text and time. */
export function eventRoutes({ store }: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/api/events', handler: ({ url }) => {
        const kind = url.searchParams.get('kind') ?? '';
        if (kind.length > 64 || !/^[a-z0-9._-]*$/i.test(kind)) throw new ValidationError('kind must be a kind prefix such as "admin." or "control.scale"', 'kind');
        const limit = intParam(url, 'limit', 100, 1, 1000);
        const since = intParam(url, 'since', 0, 0, Number.MAX_SAFE_INTEGER);
        const text = (url.searchParams.get('q') ?? '').toLowerCase().slice(0, 100);
        // Text and time filters narrow a larger window of the newest events.
        const rows = store.events.recent(text || since ? Math.min(5000, limit * 10) : limit, kind)
          .filter((e) => e.ts >= since && (!text || e.message.toLowerCase().includes(text) || e.kind.includes(text)))
          .slice(0, limit);
        return json(rows);
      },
    },
  ];
}
