import type { BindingRecord } from '../../../system/store/index.ts';
import { Fields, json, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { notFound } from './extensions-api.ts';
import { extensionOfAor } from '../../sip/registrar/registered-contacts-view.ts';

/** A registration as the API shows it; `extension` is '' for an AOR outside `domain`. */
export function presentBinding(b: BindingRecord, domain: string, now = Date.now()) {
  return {
    aor: b.aor, extension: extensionOfAor(b.aor, domain) ?? '', contact: b.contact, source: b.source,
    transport: b.transport, userAgent: b.userAgent, expiresAt: b.expiresAt, expiresIn: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
    updatedAt: b.updatedAt,
    // The REGISTER showed signs of NAT (registrar/nat-detect.ts): reached at `source`, pinged over UDP.
    behindNat: b.behindNat === true,
  };
}

export function registrationRoutes({ config, store, view }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/registrations', handler: () => json(view.registrations().map((b) => presentBinding(b, config.sip.domain))) },
    {
      method: 'POST', path: '/api/registrations/unregister', handler: async ({ req }) => {
        const f = new Fields(await readJsonObject(req), ['aor', 'contact']);
        const aor = f.string('aor', { required: true })!;
        const contact = f.string('contact', { required: true })!;
        if (!view.registrations().some((b) => b.aor === aor && b.contact === contact)) throw notFound(`no registration of ${contact} for ${aor}`);
        view.unregister(aor, contact);
        store.events.append('admin.unregister', `registration of ${contact} for ${aor} removed`, { aor, contact });
        return json({ ok: true });
      },
    },
  ];
}
