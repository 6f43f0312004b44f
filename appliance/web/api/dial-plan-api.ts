import { ValidationError } from '../../../system/errors/index.ts';
import { OutsideLineService } from '../../admin/outside-line-service.ts';
import type { Origin, OutsideLine } from '../../trunks/outside-line.ts';
import { Fields, json, noContent, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/** Where an entry comes from, as the API says it: `config` (fixed, edited in the file) or `store` (editable, with its id). */
type Source = { origin: 'config' } | { origin: 'store'; id: number };
const source = (o: Origin | undefined): Source => (o?.from === 'store' ? { origin: 'store', id: o.id } : { origin: 'config' });

/**
 * The dial plan as it runs (`[[routes]]`, `[[inbound]]`, `[emergency]` of the config file,
 * then what the admin added: appliance/trunks/outside-line.ts), for the Trunks page
 * (docs/TRUNKS.md). It names trunks, never their accounts or passwords.
 */
export interface DialPlanView {
  /** The trunks routes and numbers may name (the config file's, then the store's). */
  readonly trunks: readonly string[];
  /** In order: the first route whose pattern matches the dialled number wins. */
  readonly routes: readonly ({ name: string; pattern: string; replace: string; trunk: string; class: string; failover: readonly string[] } & Source)[];
  /** In order per trunk; `match` says how `did` is read. */
  readonly inbound: readonly ({ did: string; match: 'number' | 'pattern' | 'any'; trunk: string; to: string } & Source)[];
  /** Always routed to `trunk` (null while no trunks exist); `fixed`: the config file names it. */
  readonly emergency: { numbers: readonly string[]; trunk: string | null; fixed: boolean };
  /** Entries of the store left out (the config file took their name, ...), with why. */
  readonly skipped: readonly { id: number; kind: string; name: string | null; reason: string }[];
}

/** The dial plan view of a merged outside line (pure). */
export function presentDialPlan(line: Pick<OutsideLine, 'trunks' | 'routes' | 'inbound' | 'emergency'> & Partial<Pick<OutsideLine, 'origins' | 'skipped'>>, emergencyFixed = true): DialPlanView {
  return {
    trunks: line.trunks.map((t) => t.name),
    routes: line.routes.map((r) => ({ name: r.name, pattern: r.pattern, replace: r.replace, trunk: r.trunk, class: r.class, failover: r.failover, ...source(line.origins?.routes.get(r.name)) })),
    inbound: line.inbound.map((i, n) => ({ did: i.did, match: i.match.kind, trunk: i.trunk, to: i.to, ...source(line.origins?.inbound[n]) })),
    emergency: { numbers: [...line.emergency.numbers], trunk: line.emergency.trunk ?? null, fixed: emergencyFixed },
    skipped: line.skipped ?? [],
  };
}

const ROUTE_FIELDS = ['name', 'pattern', 'replace', 'trunk', 'class', 'failover'];

/** `failover`: a list of trunk names (the service checks they exist). */
function failoverList(body: Record<string, unknown>): string[] | undefined {
  const v = body.failover;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 8 || v.some((x) => typeof x !== 'string' || x.length > 64)) throw new ValidationError('failover must be a list of trunk names', 'failover');
  return v as string[];
}

/** `/api/dial-plan`: the merged plan; routes and inbound numbers of the store added, changed, removed; the emergency trunk chosen. */
export function dialPlanRoutes({ config, store, view }: ApiDeps): Route[] {
  const line = new OutsideLineService(store, config);
  const changed = () => view.storeChanged();
  const route = (f: Fields, body: Record<string, unknown>, name: string) => ({
    name, pattern: f.string('pattern', { max: 300 }), replace: f.string('replace', { max: 100 }), trunk: f.string('trunk', { max: 64 }), class: f.string('class', { max: 16 }), failover: failoverList(body),
  });
  return [
    { method: 'GET', path: '/api/dial-plan', handler: () => json(presentDialPlan(line.view(), config.emergency.trunk !== undefined)) },
    {
      method: 'POST', path: '/api/dial-plan/routes', handler: async ({ req }) => {
        const body = await readJsonObject(req);
        const f = new Fields(body, ROUTE_FIELDS);
        line.addRoute(route(f, body, f.string('name', { required: true, max: 64 })!));
        changed();
        return json({ name: body.name }, 201);
      },
    },
    {
      method: 'PUT', path: '/api/dial-plan/routes/:name', handler: async ({ req, params }) => {
        const body = await readJsonObject(req);
        line.replaceRoute(route(new Fields(body, ROUTE_FIELDS.filter((k) => k !== 'name')), body, params.name));
        changed();
        return noContent();
      },
    },
    {
      method: 'DELETE', path: '/api/dial-plan/routes/:name', handler: ({ params }) => {
        line.removeRoute(params.name);
        changed();
        return noContent();
      },
    },
    {
      method: 'POST', path: '/api/dial-plan/inbound', handler: async ({ req }) => {
        const f = new Fields(await readJsonObject(req), ['did', 'trunk', 'to']);
        const id = line.addInbound({ did: f.string('did', { required: true, max: 300 }), trunk: f.string('trunk', { required: true, max: 64 }), to: f.string('to', { required: true, max: 16 }) });
        changed();
        return json({ id }, 201);
      },
    },
    {
      method: 'DELETE', path: '/api/dial-plan/inbound/:id', handler: ({ params }) => {
        if (!/^[0-9]{1,12}$/.test(params.id)) throw new ValidationError('id must be a number', 'id');
        line.removeInbound(Number(params.id));
        changed();
        return noContent();
      },
    },
    {
      method: 'PUT', path: '/api/dial-plan/emergency', handler: async ({ req }) => {
        const f = new Fields(await readJsonObject(req), ['trunk']);
        line.setEmergencyTrunk(f.string('trunk', { required: true, max: 64 })!);
        changed();
        return noContent();
      },
    },
  ];
}
