import type { BunRequest } from 'bun';
import type { Session } from './auth/sessions.ts';
import { ROUTE_METHODS, type ListenerHandler, type RouteMethod } from './listeners.ts';

/** What a route handler gets: the request, its URL, path parameters, the session, the client. */
export interface ApiRequest {
  readonly req: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** Set on every route that is not public. */
  readonly session?: Session;
  /** Client address (for login rate limiting). */
  readonly client: string;
}

export type ApiHandler = (ctx: ApiRequest) => Response | Promise<Response>;

/** One API route. `public` routes skip the session check (setup, login, session probe). */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/api/extensions/:number`. */
  readonly path: string;
  readonly handler: ApiHandler;
  readonly public?: boolean;
}

/** Bun.serve `routes` entries with a handler per method (listeners.ts wraps each one). */
export type MethodRoutes = Record<string, Partial<Record<RouteMethod, ListenerHandler<BunRequest>>>>;

/**
 * The API's route table as Bun.serve `routes`, built once at start (STYLE.md §9). Bun matches
 * the path (`:name` parameters, percent-decoded) and the method, and answers HEAD with GET's
 * handler. What Bun does not do is here, and only that:
 * - 405 with Allow (RFC 9110 §15.5.6): a method a path does not take would fall through to the
 *   `/api/*` catch-all as 404, so every method Bun dispatches that a path lacks gets `notAllowed`;
 * - overlapping paths (`/api/extensions/import` and `/api/extensions/:number`): a method the
 *   exact path lacks but the parameter path has is left to fall through to it (Bun's precedence:
 *   exact, then parameter), as when routes were tried in order; Allow names both paths' methods;
 * - a method declared twice for one path, or two paths that overlap with neither the more
 *   specific (`/a/:x/c` and `/a/b/:y`), fail at start instead of one silently winning.
 */
export function apiRoutes(
  routes: readonly Route[],
  run: (route: Route, req: BunRequest, client: string) => Promise<Response>,
  notAllowed: (allow: readonly string[]) => Response,
): MethodRoutes {
  const paths = [...new Set(routes.map((r) => r.path))];
  for (const a of paths) {
    for (const b of paths) {
      if (a < b && overlaps(a, b) && !covers(a, b) && !covers(b, a)) throw new Error(`routes ${a} and ${b} overlap with neither the more specific`);
      if (a < b && covers(a, b) && covers(b, a)) throw new Error(`routes ${a} and ${b} are one path with two parameter names`);
    }
  }
  const out: MethodRoutes = {};
  for (const path of paths) {
    const own = routes.filter((r) => r.path === path);
    const seen = new Set<string>();
    for (const r of own) {
      if (seen.has(r.method)) throw new Error(`route ${r.method} ${path} declared twice`);
      seen.add(r.method);
    }
    // Every route that can answer some request for this path, in declaration order.
    const reachable = routes.filter((r) => covers(r.path, path));
    const takes = (m: RouteMethod, list: readonly Route[]) => list.some((r) => r.method === m || (m === 'HEAD' && r.method === 'GET'));
    const allow = [...new Set(reachable.map((r) => r.method))];
    const entry: MethodRoutes[string] = {};
    for (const r of own) entry[r.method] = (req, client) => run(r, req, client);
    for (const m of ROUTE_METHODS) {
      if (takes(m, own) || takes(m, reachable)) continue;
      entry[m] = () => notAllowed(allow);
    }
    out[path] = entry;
  }
  return out;
}

const segments = (path: string) => path.split('/');
const isParam = (segment: string) => segment.startsWith(':');

/** Some request path matches both patterns. */
function overlaps(a: string, b: string): boolean {
  const [x, y] = [segments(a), segments(b)];
  return x.length === y.length && x.every((s, i) => s === y[i] || isParam(s) || isParam(y[i]));
}

/** Every request path that matches `specific` also matches `general`. */
function covers(general: string, specific: string): boolean {
  const [g, s] = [segments(general), segments(specific)];
  return g.length === s.length && g.every((seg, i) => isParam(seg) || seg === s[i]);
}
