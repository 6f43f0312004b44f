import { ApplianceError } from '../../../system/errors/index.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/**
 * Peers and control: peer state, this appliance's hand-off (its owner's status), the policy's
 * settings (read-only), manual hand-off / take-back, reload of the config file. A hand-off no peer accepted, or a take-back
 * with nothing handed off, or a refused reload, is a 409 in the error shape every endpoint uses, with the reason.
 */
export function controlApiRoutes({ view, store }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/peers', handler: () => json({ peers: view.peers(), handOff: view.handOffStatus(), shedding: view.sheddingStatus(), workers: view.workers(), policy: view.policySettings() }) },
    {
      method: 'POST', path: '/api/peers/:name/hand-off', handler: async ({ params }) => {
        if (!view.peers().some((p) => p.name === params.name)) throw new ApplianceError('not-found', `no peer named "${params.name}"`);
        const result = await view.handOff(params.name);
        store.events.append('admin.hand-off', `manual hand-off to ${params.name}: ${result.message}`, { peer: params.name, ok: result.ok });
        if (!result.ok) throw new ApplianceError('conflict', result.message, { attempts: result.attempts ?? [] });
        return json(result);
      },
    },
    {
      // Re-read the config file (issue 17); the session and CSRF checks come first, as for every POST.
      method: 'POST', path: '/api/control/reload', handler: async () => {
        const result = await view.reload();
        // Refused (invalid file, a key needing a restart): 409, the config key at fault as the field.
        if (!result.ok) throw new ApplianceError('conflict', result.message, result.key ? { field: result.key } : {});
        return json(result);
      },
    },
    {
      method: 'POST', path: '/api/control/take-back', handler: async () => {
        const result = await view.takeBack();
        store.events.append('admin.take-back', `manual take-back: ${result.message}`, { ok: result.ok });
        if (!result.ok) throw new ApplianceError('conflict', result.message);
        return json(result);
      },
    },
  ];
}
