import { ValidationError } from '../../../system/errors/index.ts';
import { OutsideLineService, type TrunkInput } from '../../admin/outside-line-service.ts';
import { presentTrunk, type TrunkStatus } from '../../trunks/trunk-status.ts';
import type { Origin } from '../../trunks/outside-line.ts';
import type { TrunkConfig } from '../../../system/config/trunk-config.ts';
import { Fields, json, noContent, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { editedOn } from './edited-on.ts';

const TRUNK_FIELDS = ['name', 'registrar', 'transport', 'username', 'password', 'authUsername', 'domain', 'register', 'callerId', 'keepalive', 'tlsCa'];

/** A trunk's keys from a JSON body (the service validates them as the config file's). */
function trunkInput(f: Fields, body: Record<string, unknown>, name: string): TrunkInput {
  if (body.register !== undefined && typeof body.register !== 'boolean') throw new ValidationError('register must be true or false', 'register');
  return {
    name, registrar: f.string('registrar', { max: 300 }), transport: f.string('transport', { max: 8 }), username: f.string('username', { max: 128 }),
    password: f.string('password', { max: 256 }), authUsername: f.nullableString('authUsername'), domain: f.nullableString('domain'),
    register: body.register as boolean | undefined, callerId: f.nullableString('callerId'), keepalive: f.int('keepalive') ?? undefined,
    tlsCa: f.nullableString('tlsCa'),
  };
}

/**
 * A trunk of `GET /api/trunks`: its state and account (presentTrunk, never the password), where it
 * comes from (`config`: fixed, edited in the file; `store`: added in the UI or CLI) and the member
 * of the peer group a stored trunk's last edit was made on (null: from the file, or no peers).
 */
export function listedTrunk(status: TrunkStatus, entry: TrunkConfig | undefined, origin: Origin['from'], editedOn: string | null) {
  return { ...presentTrunk(status, entry), origin, editedOn };
}

/** A trunk as the API lists it: the UI's `Trunk`. */
export type TrunkView = ReturnType<typeof listedTrunk>;

/**
 * `/api/trunks` (docs/TRUNKS.md, docs/API.md): every trunk's registration state and account
 * (never its password), where it comes from (`origin`: the config file's are fixed); adding,
 * changing and removing the ones that live in the store, and setting a trunk's password.
 */
export function trunkRoutes({ config, store, view }: ApiDeps): Route[] {
  const line = new OutsideLineService(store, config);
  const changed = () => view.storeChanged();
  return [
    {
      method: 'GET', path: '/api/trunks', handler: () => {
        const now = line.view();
        return json(view.trunks().map((s) => listedTrunk(s, now.trunks.find((t) => t.name === s.name), now.origins.trunks.get(s.name)?.from ?? 'config',
          editedOn({ config, store }, 'trunk', s.name))));
      },
    },
    {
      method: 'POST', path: '/api/trunks', handler: async ({ req }) => {
        const body = await readJsonObject(req);
        const f = new Fields(body, TRUNK_FIELDS);
        line.addTrunk(trunkInput(f, body, f.string('name', { required: true, max: 64 })!));
        changed();
        return json({ name: body.name }, 201);
      },
    },
    {
      method: 'PUT', path: '/api/trunks/:name', handler: async ({ req, params }) => {
        const body = await readJsonObject(req);
        line.replaceTrunk(trunkInput(new Fields(body, TRUNK_FIELDS.filter((k) => k !== 'name')), body, params.name));
        changed();
        return noContent();
      },
    },
    {
      // In place (the Trunks page's Edit): only the keys given change; null clears an optional
      // one; the password is write-only. Errors name the field; a registering trunk re-registers.
      method: 'PATCH', path: '/api/trunks/:name', handler: async ({ req, params }) => {
        const body = await readJsonObject(req);
        const { name: _name, ...patch } = trunkInput(new Fields(body, TRUNK_FIELDS.filter((k) => k !== 'name')), body, params.name);
        line.changeTrunk(params.name, patch);
        changed();
        const now = line.view();
        const status = view.trunks().find((s) => s.name === params.name);
        const t = now.trunks.find((x) => x.name === params.name);
        return json(status ? listedTrunk(status, t, 'store', editedOn({ config, store }, 'trunk', params.name)) : { name: params.name });
      },
    },
    {
      method: 'PUT', path: '/api/trunks/:name/password', handler: async ({ req, params }) => {
        const f = new Fields(await readJsonObject(req), ['password']);
        line.setTrunkPassword(params.name, f.string('password', { required: true, max: 256 })!);
        changed();
        return noContent();
      },
    },
    {
      method: 'DELETE', path: '/api/trunks/:name', handler: ({ params }) => {
        line.removeTrunk(params.name);
        changed();
        return noContent();
      },
    },
  ];
}
