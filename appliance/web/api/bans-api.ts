import type { BanRecord } from '../../../system/store/index.ts';
import { Fields, json, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { notFound } from './extensions-api.ts';

/** A ban as the API shows it. */
export function presentBan(b: BanRecord, now = Date.now()) {
  return { address: b.address, reason: b.reason, since: b.since, until: b.until, remainingSeconds: Math.max(0, Math.round((b.until - now) / 1000)) };
}

/** A ban as the Security page shows it: the API's presentBan. */
export type BanView = ReturnType<typeof presentBan>;

/**
 * Banned SIP sources (issue 10: pike + fail2ban): the list in force and lifting one. A lift is
 * written to the store and every worker reloads its bans at once (`storeChanged`).
 */
export function banRoutes({ store, view }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/bans', handler: () => json(store.bans.active().map((b) => presentBan(b))) },
    {
      method: 'POST', path: '/api/bans/lift', handler: async ({ req }) => {
        const address = new Fields(await readJsonObject(req), ['address']).string('address', { required: true })!;
        if (!store.bans.active().some((b) => b.address === address)) throw notFound(`${address} is not banned`);
        store.bans.remove(address);
        view.storeChanged();
        store.events.append('admin.ban.lift', `ban of ${address} lifted by the admin`, { address });
        return json({ ok: true });
      },
    },
  ];
}
