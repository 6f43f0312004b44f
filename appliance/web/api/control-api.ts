import { ApplianceError } from '../../../system/errors/index.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/** Peers and control: peer state, the policy's settings (read-only), manual hand-off / take-back. */
export function controlRoutes({ view, store }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/peers', handler: () => json({ peers: view.peers(), workers: view.workers(), policy: view.policySettings() }) },
    {
      method: 'POST', path: '/api/peers/:name/hand-off', handler: async ({ params }) => {
        if (!view.peers().some((p) => p.name === params.name)) throw new ApplianceError('not-found', `no peer named "${params.name}"`);
        const result = await view.handOff(params.name);
        store.events.append('admin.hand-off', `manual hand-off to ${params.name}: ${result.message}`, { peer: params.name, ok: result.ok });
        return json(result, result.ok ? 200 : 409);
      },
    },
    {
      method: 'POST', path: '/api/control/take-back', handler: async () => {
        const result = await view.takeBack();
        store.events.append('admin.take-back', `manual take-back: ${result.message}`, { ok: result.ok });
        return json(result, result.ok ? 200 : 409);
      },
    },
  ];
}
