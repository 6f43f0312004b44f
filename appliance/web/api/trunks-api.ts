import { presentTrunk } from '../../trunks/trunk-status.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/** `GET /api/trunks`: every trunk's registration state (docs/TRUNKS.md). */
export function trunkRoutes({ config, view }: ApiDeps): Route[] {
  return [{
    method: 'GET', path: '/api/trunks', handler: () => json(view.trunks().map((s) => presentTrunk(s, config.trunks.find((t) => t.name === s.name)))),
  }];
}
