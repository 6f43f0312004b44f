import type { ApplianceConfig } from '../../../system/config/index.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/**
 * The dial plan as configured (`[[routes]]`, `[[inbound]]`, `[emergency]`), read-only, for the
 * Trunks page (docs/TRUNKS.md). Built from the validated config only: it names trunks, never
 * their accounts or passwords.
 */
export interface DialPlanView {
  /** In order: the first route whose pattern matches the dialled number wins. */
  readonly routes: readonly { name: string; pattern: string; replace: string; trunk: string; class: string; failover: readonly string[] }[];
  /** In order per trunk; `match` says how `did` is read. */
  readonly inbound: readonly { did: string; match: 'number' | 'pattern' | 'any'; trunk: string; to: string }[];
  /** Always routed to `trunk` (null while no trunks are configured). */
  readonly emergency: { numbers: readonly string[]; trunk: string | null };
}

/** The dial plan view of a validated config (pure). */
export function presentDialPlan(config: Pick<ApplianceConfig, 'routes' | 'inbound' | 'emergency'>): DialPlanView {
  return {
    routes: config.routes.map((r) => ({ name: r.name, pattern: r.pattern, replace: r.replace, trunk: r.trunk, class: r.class, failover: r.failover })),
    inbound: config.inbound.map((i) => ({ did: i.did, match: i.match.kind, trunk: i.trunk, to: i.to })),
    emergency: { numbers: [...config.emergency.numbers], trunk: config.emergency.trunk ?? null },
  };
}

/** `GET /api/dial-plan`: computed once, the config does not change while running. */
export function dialPlanRoutes({ config }: ApiDeps): Route[] {
  const plan = presentDialPlan(config);
  return [{ method: 'GET', path: '/api/dial-plan', handler: () => json(plan) }];
}
